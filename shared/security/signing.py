"""Issuing access tokens: EdDSA (Ed25519) JWTs with a `kid` (`shared.security.tokens` verifies them).

Apart from verification so that only the functions that issue tokens (login, refresh) reach the
signing key's setting: a Secrets Manager secret, JSON `{"kid", "private_key"}`, that their role alone
may read.
"""

from __future__ import annotations

from shared import clock
from shared.core import settings
from shared.ids import new_id
from shared.security.secrets import secret_json
from shared.security.tokens import ACCESS_TOKEN_TTL_SECONDS, ALGORITHM


def issue_access_token(user_id: str, role: str, client_id: str | None, permissions, session_id: str) -> str:
    """A signed access token for a session, valid ACCESS_TOKEN_TTL_SECONDS."""
    import jwt  # PyJWT and cryptography load on first use, only in the functions that sign or verify

    key = secret_json(settings.JWT_SIGNING_KEY_SECRET.get())
    now = clock.now_s()
    claims = {
        "iss": settings.JWT_ISSUER.get(), "aud": settings.JWT_AUDIENCE.get(), "sub": user_id,
        "iat": now, "nbf": now, "exp": now + ACCESS_TOKEN_TTL_SECONDS, "jti": new_id(),
        "typ": "access", "role": role, "cid": client_id, "perms": sorted(permissions or ()),
        "sid": session_id,
    }
    return jwt.encode(claims, key["private_key"], algorithm=ALGORITHM, headers={"kid": key["kid"]})
