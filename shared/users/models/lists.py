"""Shapes of the user lists, lookups and searches."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.core.page_query import DeletedPageQuery, PageQuery, page_of
from shared.users.models import Email, Role, UserStatus
from shared.users.models.user import UserOut


class UserListQuery(DeletedPageQuery):
    status: UserStatus | None = None
    role: Role | None = None


class UserSearchQuery(PageQuery):
    q: str = Field(min_length=1, max_length=100)


class EmailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


UserPage = page_of(UserOut)
