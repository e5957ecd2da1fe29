"""Request and response shapes of the auth operations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.formats import EMAIL_PATTERN


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=1, max_length=1024)
    totp_code: str | None = Field(None, pattern=r"^\d{6}$", description="Required when two-factor is on")


class RefreshBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=10, max_length=512)



class Jwk(BaseModel):
    """One verification key (RFC 8037: an Ed25519 public key is `x`, base64url)."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str = Field(description="The public key, base64url without padding")
    kid: str = Field(description="The `kid` header of the access tokens it verifies")
    alg: Literal["EdDSA"]
    use: Literal["sig"]


class JwkSet(BaseModel):
    keys: list[Jwk] = Field(description="The current key and, during a rotation, the previous one")
