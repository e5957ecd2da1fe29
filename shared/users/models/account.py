"""Shapes of the account flows: verification, password reset, two-factor."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.users.models import Email, Password
from shared.users.models.user import UserOut


class EmailBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=512)


class ResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=512)
    new_password: Password


class Accepted(BaseModel):
    status: str


class TokenPair(BaseModel):
    """The answer of login and refreshToken: the tokens and the user, in getUserById's shape."""

    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int
    user: UserOut
