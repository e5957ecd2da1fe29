"""Query of getClientActivity (the answer is shared.audit.models.ActivityPage)."""

from __future__ import annotations

from pydantic import Field

from shared.core.page_query import PageQuery


class ActivityQuery(PageQuery):
    entity_type: str | None = Field(None, min_length=1, max_length=40)
