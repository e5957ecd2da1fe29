"""Query of getUserActivity (the answer is shared.audit.models.ActivityPage)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from shared.api.page_query import PageQuery


class ActivityQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(None, min_length=1, max_length=40)
