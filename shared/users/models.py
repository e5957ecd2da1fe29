"""Request and response shapes of the user operations (seed section 1, plus client_id)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.api.bulk import BulkResult, BulkResults  # noqa: F401 - part of this domain's API shapes
from shared.api.pagination import PageQuery
from shared.audit.models import ActivityEntry, ActivityPage  # noqa: F401 - idem

Role = Literal["admin", "manager", "user", "super_admin"]
UserStatus = Literal["active", "inactive", "suspended", "pending"]
EMAIL = {"min_length": 3, "max_length": 254, "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"}
PASSWORD = {"min_length": 10, "max_length": 256}
Name = Field(None, min_length=1, max_length=100)


class TenantQuery(BaseModel):
    """super_admin names the tenant; everyone else is confined to their own."""

    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(None, min_length=1, max_length=40)


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


class ActivityQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(None, min_length=1, max_length=40)


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
    email: str = Field(**EMAIL)
    password: str | None = Field(None, **PASSWORD, description="omit to let the user set one by reset")
    role: Role
    status: UserStatus = "active"
    permissions: list[str] | None = Field(None, max_length=100)
    client_id: str | None = Field(None, min_length=1, max_length=40, description="super_admin names the tenant")


class UserPatch(_Profile):
    email: str | None = Field(None, **EMAIL)
    role: Role | None = None
    status: UserStatus | None = None
    permissions: list[str] | None = Field(None, max_length=100)
    password: str | None = Field(None, **PASSWORD)
    current_password: str | None = Field(None, max_length=256, description="required to change your own password")


class BulkUserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40)
    changes: UserPatch


class BulkUserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(None, min_length=1, max_length=40)
    updates: list[BulkUserChange] = Field(min_length=1, max_length=100)


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


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None = None


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


class EmailBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(**EMAIL)


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=512)


class ResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=512)
    new_password: str = Field(**PASSWORD)


class Accepted(BaseModel):
    status: str


class TwoFactorSetup(BaseModel):
    secret: str = Field(description="Shown once: enter it in an authenticator app")
    otpauth_uri: str


class TwoFactorConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^\d{6}$")
