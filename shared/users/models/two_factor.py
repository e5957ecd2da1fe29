"""Shapes of enableTwoFactor and confirmTwoFactor."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TwoFactorSetup(BaseModel):
    secret: str = Field(description="Shown once: enter it in an authenticator app")
    otpauth_uri: str


class TwoFactorConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^\d{6}$")
