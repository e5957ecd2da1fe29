"""Shapes of the client lists and searches."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.api.page_query import PageQuery
from shared.clients.models import ClientStatus, Tier
from shared.clients.models.client import ClientOut


class ClientPage(BaseModel):
    items: list[ClientOut]
    next_cursor: str | None = None


class ClientListQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    status: ClientStatus | None = None
    tier: Tier | None = None
    include_deleted: bool = False


class ClientSearchQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=100)


class ExpiringQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(30, ge=1, le=3650)
