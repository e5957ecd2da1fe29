"""login, refreshToken and logout (the authorizer's decision is `shared.auth.authorizer`).

Refresh tokens are opaque `<tenant>.<session>.<generation>.<family secret>.<secret>` strings: the
tenant and session locate the family item (tenant-first keys); the family secret, the same in every
token of the family, proves the presenter holds one of them; the generation and its secret say which.
Both secrets are stored only as SHA-256 hashes, and the item does not grow as the family is refreshed.
"""

from __future__ import annotations

import re
import secrets as _secrets
from typing import TYPE_CHECKING, NamedTuple, NoReturn

from shared import clock
from shared.auth import store
from shared.auth.authorizer import LIVE_CLIENT_STATUSES
from shared.clients import service as clients
from shared.errors import Forbidden, Locked, NotFound, Unauthenticated
from shared.ids import new_id
from shared.security import passwords, signing, tokens
from shared.users import logins as users

if TYPE_CHECKING:
    from shared.auth.models import LoginBody

PLATFORM = "P"  # the tenant part of a super_admin's refresh token
_BAD_CREDENTIALS = "email or password is wrong"
_BAD_REFRESH = "refresh token is not valid"
# What login and refresh raise beyond what their declarations imply (their OpenAPI answers).
LOGIN_ERRORS = (Unauthenticated, Forbidden, Locked)
REFRESH_ERRORS = (Unauthenticated,)


def login(body: LoginBody, source_ip: str | None = None) -> dict:
    """Check the password (and TOTP when on), counting failures per email whether or not the
    account exists, and per source IP: five for an email, or twenty from one address, within 15
    minutes lock it for 15 minutes, with the same answer."""
    throttles = store.throttles_for(body.email, source_ip)
    _refuse_if_locked(throttles)
    user = users.find_by_email(body.email)
    # An unknown email costs one hash too (verify_password hashes against a dummy): same time, same answer.
    matched = passwords.verify_password(user.password_hash if user else None, body.password)
    if user is None or not matched:
        _fail(throttles, user)
    if user.two_factor_enabled:
        _check_second_factor(user, body.totp_code, throttles)
    if user.status != "active":
        raise Forbidden(f"this account is {user.status}")
    _check_tenant(user)
    # Only the email's count is forgiven: one good login of one's own must not reset an address
    # that is trying other people's.
    store.clear(throttles[0])
    users.record_login(user)
    return _new_session(user)


def _refuse_if_locked(throttles: list) -> None:
    wait = max(store.locked_for_seconds(t) for t in throttles)
    if wait:
        raise Locked(f"too many failed logins; try again in {wait} s", headers={"retry-after": str(wait)})


def _check_tenant(user) -> None:
    if user.client_id:
        status = clients.status_of(user.client_id)
        if status is None:
            raise Forbidden("this account's organisation is closed")
        if status not in LIVE_CLIENT_STATUSES:
            raise Forbidden(f"this account's organisation is {status}")


def _fail(throttles: list, user) -> NoReturn:
    throttles = [store.record_failure(t) for t in throttles]
    if user is not None:
        users.record_failed_login(user)
    _refuse_if_locked(throttles)
    raise Unauthenticated(_BAD_CREDENTIALS)


def _check_second_factor(user, code: str | None, throttles: list) -> None:
    from shared.security import totp

    if not code:
        raise Unauthenticated("a two-factor code is required", field="/body/totp_code")
    if not totp.verify_for_user(user, code):
        _fail(throttles, None)


def refresh(refresh_token: str) -> dict:
    """Rotate: the presented token is replaced by the next generation's. A token of the family that is
    not the current one was replaced already: presented again, it revokes the family."""
    session, token = _session_of(refresh_token)
    if token.generation != session.generation or store.digest(token.secret) != session.current_hash:
        store.revoke(session, f"reuse of generation {token.generation} (current: {session.generation})")
        raise Unauthenticated(_BAD_REFRESH)
    try:
        user = users.get(session.client_id, session.user_id)
    except NotFound:
        store.revoke(session, "user gone")
        raise Unauthenticated(_BAD_REFRESH) from None
    if user.status != "active":
        store.revoke(session, f"user {user.status}")
        raise Unauthenticated(_BAD_REFRESH)
    try:
        _check_tenant(user)
    except Forbidden:
        raise Unauthenticated(_BAD_REFRESH) from None
    new_secret = _secrets.token_urlsafe(32)
    if not store.rotate(session, token.generation, new_secret):
        raise Unauthenticated(_BAD_REFRESH)  # lost a race with a concurrent refresh
    return _pair(user, token._replace(generation=token.generation + 1, secret=new_secret))


def logout(refresh_token: str) -> None:
    """Revoke the token's family (any token of it will do). Unknown or already revoked tokens answer
    the same (idempotent)."""
    try:
        session, _ = _session_of(refresh_token)
    except Unauthenticated:
        return
    store.revoke(session, "logout")


class RefreshToken(NamedTuple):
    """The parts of a refresh token; `str()` writes it."""

    tenant: str | None
    session_id: str
    generation: int
    family_secret: str
    secret: str

    def __str__(self) -> str:
        return f"{self.tenant or PLATFORM}.{self.session_id}.{self.generation}.{self.family_secret}.{self.secret}"

    @classmethod
    def parse(cls, text: str) -> RefreshToken | None:
        parts = text.split(".")
        if len(parts) != 5 or not all(parts) or not _GENERATION.fullmatch(parts[2]):
            return None
        tenant, session_id, generation, family_secret, secret = parts
        return cls(None if tenant == PLATFORM else tenant, session_id, int(generation), family_secret, secret)


_GENERATION = re.compile(r"[1-9][0-9]{0,8}")  # ASCII digits; a family refreshed every minute for 30 days reaches 43,200


def _session_of(refresh_token: str) -> tuple[store.Session, RefreshToken]:
    """The live family a token belongs to, and the token's parts. A token whose family secret does not
    match proves nothing (it may be made up from a session id): it is refused without revoking."""
    token = RefreshToken.parse(refresh_token)
    if token is None:
        raise Unauthenticated(_BAD_REFRESH)
    session = store.get_session(token.tenant, token.session_id)
    if session is None or session.revoked or (session.expires_at or 0) <= clock.now_s():
        raise Unauthenticated(_BAD_REFRESH)
    if store.digest(token.family_secret) != session.family_hash:
        raise Unauthenticated(_BAD_REFRESH)
    return session, token


def _new_session(user) -> dict:
    family_secret, secret = _secrets.token_urlsafe(32), _secrets.token_urlsafe(32)
    session = store.Session(id=new_id(), client_id=user.client_id, user_id=user.id)
    store.create_session(session, family_secret, secret)
    return _pair(user, RefreshToken(user.client_id, session.id, int(session.generation), family_secret, secret))


def _pair(user, refresh_token: RefreshToken) -> dict:
    access = signing.issue_access_token(user.id, user.role, user.client_id, user.permissions or (),
                                        refresh_token.session_id)
    return {"access_token": access, "refresh_token": str(refresh_token), "token_type": "Bearer",
            "expires_in": tokens.ACCESS_TOKEN_TTL_SECONDS, "user": users.shown(user)}
