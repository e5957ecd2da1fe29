"""Shapes of the client lists and searches."""

from __future__ import annotations

from pydantic import Field

from shared.clients.models import ClientStatus, Tier
from shared.clients.models.client import ClientOut
from shared.core.page_query import DeletedPageQuery, PageQuery, page_of

ClientPage = page_of(ClientOut)


class ClientListQuery(DeletedPageQuery):
    status: ClientStatus | None = None
    tier: Tier | None = None


class ClientSearchQuery(PageQuery):
    q: str = Field(min_length=1, max_length=100)


class ExpiringQuery(PageQuery):
    days: int = Field(30, ge=1, le=3650)
