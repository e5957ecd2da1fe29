"""Access tokens: EdDSA (Ed25519) JWTs with a `kid`.

Only the auth functions can read the signing key (a Secrets Manager secret, JSON
`{"kid", "private_key"}`); the authorizer verifies with the public keys (an SSM parameter, JSON
`{kid: public_pem}`, several during a rotation). The algorithm is pinned, so `none` and an HS256
token "signed" with the public key are refused; exp, iat, iss, aud, sub and typ are required.
"""

from __future__ import annotations

import os

from shared import clock
from shared.ids import new_id
from shared.security.secrets import parameter_json, secret_json

ALGORITHM = "EdDSA"
ACCESS_TOKEN_TTL_SECONDS = 15 * 60
LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    """The token is not one we issued, or no longer valid. The reason is for logs only."""


class AccessClaims:
    __slots__ = ("user_id", "role", "client_id", "permissions", "session_id", "expires_at")

    def __init__(self, user_id: str, role: str, client_id: str | None, permissions: tuple[str, ...],
                 session_id: str, expires_at: int):
        self.user_id, self.role, self.client_id = user_id, role, client_id
        self.permissions, self.session_id, self.expires_at = permissions, session_id, expires_at


def issue_access_token(user_id: str, role: str, client_id: str | None, permissions, session_id: str) -> str:
    import jwt  # PyJWT and cryptography load on first use, only in the functions that sign or verify

    key = secret_json(os.environ["JWT_SIGNING_KEY_SECRET"])
    now = clock.now_s()
    claims = {
        "iss": os.environ["JWT_ISSUER"], "aud": os.environ["JWT_AUDIENCE"], "sub": user_id,
        "iat": now, "nbf": now, "exp": now + ACCESS_TOKEN_TTL_SECONDS, "jti": new_id(),
        "typ": "access", "role": role, "cid": client_id, "perms": sorted(permissions or ()),
        "sid": session_id,
    }
    return jwt.encode(claims, key["private_key"], algorithm=ALGORITHM, headers={"kid": key["kid"]})


def verify_access_token(token: str) -> AccessClaims:
    """Verify signature, algorithm, kid, lifetime, issuer, audience and token type."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed: {exc}") from None
    public_keys = parameter_json(os.environ["JWT_PUBLIC_KEYS_PARAMETER"])
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or kid not in public_keys:
        raise InvalidToken("unexpected alg or unknown kid")
    try:
        claims = jwt.decode(
            token, public_keys[kid], algorithms=[ALGORITHM], audience=os.environ["JWT_AUDIENCE"],
            issuer=os.environ["JWT_ISSUER"], leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "sid"], "verify_exp": False,
                     "verify_iat": False, "verify_nbf": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from None
    _check_times(claims)
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    return AccessClaims(user_id=claims["sub"], role=claims["role"], client_id=claims.get("cid"),
                        permissions=tuple(claims.get("perms") or ()), session_id=claims["sid"],
                        expires_at=int(claims["exp"]))


def _check_times(claims: dict) -> None:
    # Lifetimes are checked against shared.clock (PyJWT would read the system clock).
    now = clock.now_s()
    if not isinstance(claims.get("exp"), int) or claims["exp"] + LEEWAY_SECONDS <= now:
        raise InvalidToken("expired")
    if not isinstance(claims.get("iat"), int) or claims["iat"] - LEEWAY_SECONDS > now:
        raise InvalidToken("issued in the future")
