"""Query parameters every list operation accepts; list queries extend it with their filters."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.api.pagination import DEFAULT_LIMIT, MAX_LIMIT


class PageQuery(BaseModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)
