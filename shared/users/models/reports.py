"""Shapes of getUserStats and getUserPermissions."""

from __future__ import annotations

from pydantic import BaseModel

from shared.users.models import Role


class UserStats(BaseModel):
    client_id: str | None = None
    total: int
    by_status: dict[str, int]
    by_role: dict[str, int]
    email_verified: int
    two_factor_enabled: int
    active_this_month: int


class Permissions(BaseModel):
    user_id: str
    role: Role
    granted_by_role: list[str]
    extra: list[str]
    effective: list[str]
