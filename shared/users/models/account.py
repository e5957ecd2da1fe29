"""Shapes of the account flows: verification, password reset, two-factor."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.users.models import EMAIL, PASSWORD


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
