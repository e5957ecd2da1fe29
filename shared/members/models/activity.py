"""Shapes of trackMemberActivity (shared.members.insights)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.members.models import Epoch

MAX_METADATA_BYTES = 4096  # an activity event is small; what a member did, not a document


def _small_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value, separators=(",", ":")).encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata may be at most {MAX_METADATA_BYTES} bytes of JSON")
    return value


class ActivityIn(BaseModel):
    """trackMemberActivity: `at` defaults to now and may be at most a few minutes ahead of it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
                      description="what the member did, e.g. login, store_visit, page_view")
    metadata: Annotated[dict[str, Any] | None, AfterValidator(_small_json)] = Field(
        None, description=f"any JSON object, at most {MAX_METADATA_BYTES} bytes")
    at: int | None = Epoch


class ActivityOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    member_id: str = Field(description="the member's id")
    type: str
    metadata: dict[str, Any] | None = None
    at: int
    created_at: int
    last_active: int | None = Field(None, description="the member's last_active after this event")
