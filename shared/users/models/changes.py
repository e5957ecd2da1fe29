"""Shapes of createUser, updateUser and bulkUpdateUsers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.core.bulk import bulk_of
from shared.users.models import Email, Name, Password, Role, UserStatus


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str | None = Name
    last_name: str | None = Name
    full_name: str | None = Field(None, min_length=1, max_length=200)
    phone: str | None = Field(None, min_length=3, max_length=32)
    avatar_url: str | None = Field(None, max_length=2048, pattern=r"^https://")
    timezone: str | None = Field(None, min_length=1, max_length=64)
    language: str | None = Field(None, min_length=2, max_length=16)
    preferences: dict[str, Any] | None = None


class UserCreate(_Profile):
    email: Email
    password: Password | None = Field(None, description="omit to let the user set one by reset")
    role: Role
    status: UserStatus = "active"
    permissions: list[str] | None = Field(None, max_length=100)
    client_id: str | None = Field(None, min_length=1, max_length=40, description="super_admin names the tenant")


class UserPatch(_Profile):
    email: Email | None = None
    role: Role | None = None
    status: UserStatus | None = None
    permissions: list[str] | None = Field(None, max_length=100)
    password: Password | None = None
    current_password: str | None = Field(None, max_length=256, description="required to change your own password")


BulkUserUpdate = bulk_of(UserPatch, "user")
