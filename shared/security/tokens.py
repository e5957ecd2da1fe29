"""Access tokens: EdDSA (Ed25519) JWTs with a `kid`.

Verification, here: the authorizer verifies with the public keys (an SSM parameter, JSON
`{kid: public_pem}`, several during a rotation). Issuing is `shared.security.signing`, apart, so that
only the functions that issue tokens can read the signing key. The algorithm is pinned, so `none` and an HS256
token "signed" with the public key are refused; exp, iat, iss, aud, sub and typ are required.

The public keys are also answered as a JWK set (`jwks`), so other services verify our tokens. Key
rotation (README, "Key rotation") publishes a new key KEY_SET_FRESH_SECONDS + JWKS_MAX_AGE_SECONDS
before it signs: every copy of the key set, ours and a JWKS consumer's, knows it by then.
"""

from __future__ import annotations

from shared import clock
from shared.core import settings
from shared.security.secrets import parameter_json

ALGORITHM = "EdDSA"
ACCESS_TOKEN_TTL_SECONDS = 15 * 60
LEEWAY_SECONDS = 30
# A token naming a kid our copy of the key set lacks is checked against a copy at most this old (one
# read of the parameter per this time per container, whatever kids a caller makes up); the JWK set
# is answered from a copy as fresh.
KEY_SET_FRESH_SECONDS = 30
# How long a JWKS consumer may keep the set: as long as the gateway keeps an authorizer decision
# (ReauthorizeEvery), so a dropped key stops verifying elsewhere about as soon as it does here.
JWKS_MAX_AGE_SECONDS = 60


class InvalidToken(Exception):
    """The token is not one we issued, or no longer valid. The reason is for logs only."""


class AccessClaims:
    __slots__ = ("user_id", "role", "client_id", "permissions", "session_id", "expires_at")

    def __init__(self, user_id: str, role: str, client_id: str | None, permissions: tuple[str, ...],
                 session_id: str, expires_at: int):
        self.user_id, self.role, self.client_id = user_id, role, client_id
        self.permissions, self.session_id, self.expires_at = permissions, session_id, expires_at


def verify_access_token(token: str) -> AccessClaims:
    """Verify signature, algorithm, kid, lifetime, issuer, audience and token type."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed: {exc}") from None
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str):
        raise InvalidToken("unexpected alg or no kid")
    name = settings.JWT_PUBLIC_KEYS_PARAMETER.get()
    public_keys = parameter_json(name)
    if kid not in public_keys:  # perhaps published since our copy was read: ask a fresher one
        public_keys = parameter_json(name, max_age=KEY_SET_FRESH_SECONDS)
    if kid not in public_keys:
        raise InvalidToken("unknown kid")
    try:
        claims = jwt.decode(
            token, public_keys[kid], algorithms=[ALGORITHM], audience=settings.JWT_AUDIENCE.get(),
            issuer=settings.JWT_ISSUER.get(), leeway=LEEWAY_SECONDS,
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


def jwks() -> dict:
    """The JWK set (RFC 7517; Ed25519 keys as RFC 8037 writes them) of every verification key: the
    current one and, during a rotation, the previous."""
    from jwt.algorithms import OKPAlgorithm

    okp = OKPAlgorithm()
    public_keys = parameter_json(settings.JWT_PUBLIC_KEYS_PARAMETER.get(), max_age=KEY_SET_FRESH_SECONDS)
    keys = []
    for kid, pem in sorted(public_keys.items()):  # kids are ULIDs: oldest first
        jwk = okp.to_jwk(okp.prepare_key(pem), as_dict=True)
        keys.append({**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"})
    return {"keys": keys}


def _check_times(claims: dict) -> None:
    # Lifetimes are checked against shared.clock (PyJWT would read the system clock).
    now = clock.now_s()
    if not isinstance(claims.get("exp"), int) or claims["exp"] + LEEWAY_SECONDS <= now:
        raise InvalidToken("expired")
    if not isinstance(claims.get("iat"), int) or claims["iat"] - LEEWAY_SECONDS > now:
        raise InvalidToken("issued in the future")
