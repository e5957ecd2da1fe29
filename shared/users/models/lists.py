"""Shapes of the user lists, lookups and searches."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.api.page_query import PageQuery
from shared.users.models import EMAIL, Role, UserStatus
from shared.users.models.user import UserOut


class UserListQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(None, min_length=1, max_length=40)
    status: UserStatus | None = None
    role: Role | None = None
    include_deleted: bool = False


class UserSearchQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=100)
    client_id: str | None = Field(None, min_length=1, max_length=40)


class EmailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(**EMAIL)
    client_id: str | None = Field(None, min_length=1, max_length=40)


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None = None
