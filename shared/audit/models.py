"""How audit entries are shown (getUserActivity, getClientActivity)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.core.page_query import page_of


class ActivityEntry(BaseModel):
    id: str
    at: int
    actor_id: str | None = None
    actor_role: str | None = None
    entity_type: str
    entity_id: str
    operation: str
    changes: dict[str, Any]
    reason: str | None = None  # why, where the operation asks for one


ActivityPage = page_of(ActivityEntry, "ActivityPage")
