"""The user as the API shows it (the one user shape: getUserById, lists, login and refresh)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.users.models import Role, UserStatus


class UserOut(BaseModel):
    """A user as the API shows it: never a password hash, token or TOTP secret."""

    model_config = ConfigDict(extra="ignore")

    id: str
    client_id: str | None = None
    email: str
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    role: Role
    status: UserStatus
    phone: str | None = None
    avatar_url: str | None = None
    timezone: str | None = None
    language: str | None = None
    preferences: Any = None
    permissions: list[str] | None = None
    last_login: int | None = None
    login_count: int | None = None
    failed_login_attempts: int | None = None
    email_verified: bool | None = None
    two_factor_enabled: bool | None = None
    created_at: int
    updated_at: int
    version: int
