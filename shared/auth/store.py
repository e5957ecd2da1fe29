"""Auth items: login throttles (per email, known or not, and per source IP) and refresh-token sessions.

A session is one refresh-token family. Its item keeps the same few attributes however often the
family is refreshed: the hash of the family's secret (in every token of the family: it proves a
presenter holds one), the generation now current and the hash of that generation's secret. A token
of the family naming any other generation is a replaced one presented again (a theft signal), and
revokes the whole family.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from shared import clock
from shared.db.table import Item, platform_key, tenant_key
from shared.db.writes import applied
from shared.security.hashing import digest

MAX_FAILURES = 5  # per email: guessing one account's password
MAX_SOURCE_FAILURES = 20  # per source IP: trying many accounts from one place
LOCK_SECONDS = 15 * 60
SESSION_SECONDS = 30 * 24 * 3600


class _Throttle(Item):
    """Failed logins of one subject within a window that each failure extends; the `max_failures`-th
    locks the subject for LOCK_SECONDS. Platform-scoped: the subject may belong to no tenant."""

    failures = NumberAttribute(default=0)
    locked_until = NumberAttribute(null=True)  # epoch ms
    max_failures = MAX_FAILURES

    def empty(self) -> _Throttle:
        """A fresh count for the same subject."""
        raise NotImplementedError

    def subject_action(self):
        """The update action that writes the subject onto a new item."""
        raise NotImplementedError


class LoginThrottle(_Throttle, discriminator="LOGIN_THROTTLE"):
    """Failed attempts for one email hash."""

    email_hash = UnicodeAttribute()

    def keys(self):
        return {"PK": platform_key("LOGIN", self.email_hash), "SK": "THROTTLE"}

    def empty(self) -> LoginThrottle:
        return LoginThrottle(email_hash=self.email_hash, failures=0)

    def subject_action(self):
        return LoginThrottle.email_hash.set(self.email_hash)


class SourceThrottle(_Throttle, discriminator="LOGIN_SOURCE_THROTTLE"):
    """Failed attempts from one source IP (hashed: an address is personal data), whatever the email."""

    source_hash = UnicodeAttribute()
    max_failures = MAX_SOURCE_FAILURES

    def keys(self):
        return {"PK": platform_key("LOGIN_SOURCE", self.source_hash), "SK": "THROTTLE"}

    def empty(self) -> SourceThrottle:
        return SourceThrottle(source_hash=self.source_hash, failures=0)

    def subject_action(self):
        return SourceThrottle.source_hash.set(self.source_hash)


def throttles_for(email: str, source_ip: str | None) -> list[_Throttle]:
    """The email's throttle, and the source IP's when known, in one read (absent ones start at 0)."""
    wanted: list[_Throttle] = [LoginThrottle(email_hash=digest(email.strip().lower()), failures=0)]
    if source_ip:
        wanted.append(SourceThrottle(source_hash=digest(source_ip), failures=0))
    keys = [(t.derive_keys().PK, "THROTTLE") for t in wanted]
    found: dict[str, Any] = {item.PK: item for item in Item.batch_get(keys)}  # throttles of either kind
    return [found.get(t.PK, t) for t in wanted]


def record_failure(throttle: _Throttle) -> _Throttle:
    """Count one failure atomically; the `max_failures`-th within the window locks for LOCK_SECONDS."""
    now_ms, now_s = clock.now_ms(), clock.now_s()
    if is_stale(throttle, now_ms):
        clear(throttle)
        throttle = throttle.empty()
    kind = type(throttle)
    throttle.derive_keys()
    throttle.update(actions=[  # update() refreshes the model from the item's new image
        kind.entity.set(kind),
        throttle.subject_action(),
        kind.failures.add(1),
        kind.expires_at.set(now_s + LOCK_SECONDS),
    ])
    if throttle.failures >= throttle.max_failures and not throttle.locked_until:
        throttle.update(actions=[kind.locked_until.set(now_ms + LOCK_SECONDS * 1000),
                                 kind.expires_at.set(now_s + 2 * LOCK_SECONDS)])
    return throttle


def is_stale(throttle: _Throttle, now_ms: int) -> bool:
    """A finished lock, or a failure window past its end: TTL deletes lazily, so we check ourselves."""
    if throttle.locked_until:
        return throttle.locked_until <= now_ms
    return bool(throttle.expires_at) and throttle.expires_at * 1000 <= now_ms


def locked_for_seconds(throttle: _Throttle) -> int:
    if throttle.locked_until and not is_stale(throttle, clock.now_ms()):
        return max(1, -(-(int(throttle.locked_until) - clock.now_ms()) // 1000))
    return 0


def clear(throttle: _Throttle) -> None:
    if throttle.failures or throttle.locked_until:
        throttle.derive_keys()
        throttle.delete()


class Session(Item, discriminator="SESSION"):
    """One refresh-token family."""

    id = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute()
    family_hash = UnicodeAttribute()
    generation = NumberAttribute(default=1)
    current_hash = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)
    revoked_reason = UnicodeAttribute(null=True)
    created_at = NumberAttribute()

    secret_fields = frozenset({"family_hash", "current_hash"})

    def keys(self):
        scope = (lambda *p: tenant_key(self.client_id, *p)) if self.client_id else platform_key
        return {"PK": scope("SESSION", self.id), "SK": "SESSION",
                "GSI1PK": scope("USER", self.user_id, "SESSIONS"), "GSI1SK": f"{self.created_at:015d}"}


def session_key(client_id: str | None, session_id: str) -> str:
    return tenant_key(client_id, "SESSION", session_id) if client_id else platform_key("SESSION", session_id)


def get_session(client_id: str | None, session_id: str) -> Session | None:
    try:
        return Session.get(session_key(client_id, session_id), "SESSION")
    except Session.DoesNotExist:
        return None


def create_session(session: Session, family_secret: str, token_secret: str) -> Session:
    """The family's first generation."""
    session.family_hash, session.generation = digest(family_secret), 1
    session.current_hash = digest(token_secret)
    session.created_at = clock.now_ms()
    session.expires_at = clock.now_s() + SESSION_SECONDS
    session.save(condition=Session.PK.does_not_exist())
    return session


def rotate(session: Session, generation: int, new_secret: str) -> bool:
    """Move the family to the next generation, only if `generation` is still current (a race loses:
    False). A throttled or failed write is no lost race: it raises Unavailable and the token stays valid."""
    return applied(lambda: session.update(
        actions=[Session.generation.set(generation + 1), Session.current_hash.set(digest(new_secret))],
        condition=(Session.generation == generation) & (Session.revoked == False),  # noqa: E712
    ))


def revoke(session: Session, reason: str) -> None:
    session.update(actions=[Session.revoked.set(True), Session.revoked_reason.set(reason)])


def revoke_all_sessions(client_id: str | None, user_id: str, reason: str) -> int:
    """Revoke every live session of a user (password reset); returns how many."""
    scope = (lambda *p: tenant_key(client_id, *p)) if client_id else platform_key
    revoked = 0
    for session in Session.gsi1.query(scope("USER", user_id, "SESSIONS")):
        if not session.revoked:
            revoke(session, reason)
            revoked += 1
    return revoked
