"""The users store: the only code that knows how a user is keyed.

Tenant users live under `T#<client_id>#USER#<id>`; super_admins (no tenant) under `P#USER#<id>`.
Emails are unique platform-wide through a `P#EMAIL#<lower email>` claim written in the same
transaction as the user, which is also how login finds a user by email. Login bookkeeping
(last_login, login_count, failed_login_attempts) is a small item of its own beside the profile
(same PK, SK `LOGIN`), so a login never moves the profile's version (an admin's ETag stays valid);
a get reads both with one Query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from shared import clock
from shared.db import claims
from shared.db.table import Item, platform_key, tenant_key
from shared.entity import Entity, EntityStore, Unique
from shared.errors import NotFound

if TYPE_CHECKING:
    from shared.db.tx import Tx

LOGIN_FIELDS = ("last_login", "login_count", "failed_login_attempts")


def scope(client_id: str | None, *parts: str) -> str:
    return tenant_key(client_id, *parts) if client_id else platform_key(*parts)


def email_key(email: str) -> str:
    return platform_key("EMAIL", email.strip().lower())


def user_key(client_id: str | None, user_id: str) -> str:
    return scope(client_id, "USER", user_id)


class User(Entity, discriminator="USER"):
    what, resource = "user", "users"
    unique = (Unique("email", lambda email, user: email_key(email)),)

    id = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute()
    password_hash = UnicodeAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    full_name = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    status = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    avatar_url = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    preferences = JSONAttribute(null=True)
    permissions = ListAttribute(of=UnicodeAttribute, null=True)
    password_reset_token = UnicodeAttribute(null=True)
    password_reset_expires = NumberAttribute(null=True)
    email_verified = BooleanAttribute(null=True)
    email_verification_token = UnicodeAttribute(null=True)
    two_factor_enabled = BooleanAttribute(null=True)
    two_factor_secret = UnicodeAttribute(null=True)  # KMS envelope-encrypted
    two_factor_last_step = NumberAttribute(null=True)  # last TOTP time step accepted (no replay)
    two_factor_pending = UnicodeAttribute(null=True)  # envelope-encrypted secret awaiting confirmTwoFactor

    secret_fields = frozenset({"password_hash", "password_reset_token", "email_verification_token",
                               "two_factor_secret", "two_factor_pending"})
    hidden = frozenset({"two_factor_last_step"})

    login: Login | None = None  # the bookkeeping item, when read with the user

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        return user_key(tenant, item_id), "USER"

    def keys(self):
        created = f"{self.created_at:015d}#{self.id}"
        return {"PK": user_key(self.client_id, self.id), "SK": "USER",
                "GSI1PK": self.listing(scope(self.client_id, "USERS")), "GSI1SK": created,
                "GSI2PK": None if self.deleted_at else scope(self.client_id, "USERS", "ROLE", self.role),
                "GSI2SK": None if self.deleted_at else created}

    @property
    def owner_id(self) -> str:
        return self.id

    def public(self) -> dict:
        out = super().public()
        if self.login is not None:
            out.update({k: getattr(self.login, k) for k in LOGIN_FIELDS if getattr(self.login, k) is not None})
        return out


class Login(Item, discriminator="USER_LOGIN"):
    """A user's login bookkeeping (`updateLastLogin`): written by every login, never by a profile change."""

    user_id = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    last_login = NumberAttribute(null=True)
    login_count = NumberAttribute(null=True)
    failed_login_attempts = NumberAttribute(null=True)

    def keys(self):
        return {"PK": user_key(self.client_id, self.user_id), "SK": "LOGIN"}


users = EntityStore(User)
batch_get, create, update = users.batch_get, users.create, users.update


def get(client_id: str | None, user_id: str, include_deleted: bool = False) -> User:
    """The user with its login bookkeeping: one Query of the user's partition."""
    found = {i.SK: i for i in Item.query(user_key(client_id, user_id))}
    user = found.get("USER")
    if not isinstance(user, User) or (user.deleted_at and not include_deleted):
        raise NotFound("user not found")
    login = found.get("LOGIN")
    user.login = login if isinstance(login, Login) else None
    return user


def with_logins(listed: list[User]) -> list[User]:
    """Users of a list with their login bookkeeping: one BatchGetItem per 100."""
    if listed:
        found = {i.user_id: i for i in Login.batch_get([(u.PK, "LOGIN") for u in listed])}
        for u in listed:
            u.login = found.get(u.id)
    return listed


def list_users(client_id: str | None, *, role: str | None, status: str | None, include_deleted: bool,
               limit: int, cursor: str | None) -> tuple[list[User], dict | None]:
    """Newest first; by role through GSI2, by status filtered within the read budget. Deleted users
    live in their own GSI1 partition, read only for `include_deleted`."""
    def keep(u: User) -> bool:
        return status is None or u.status == status

    def keep_deleted(u: User) -> bool:
        return keep(u) and (role is None or u.role == role)

    filtered = keep if status is not None else None
    if role:
        found, last = users.page(scope(client_id, "USERS", "ROLE", role), index="GSI2", limit=limit, cursor=cursor,
                                 keep=filtered, include_deleted=include_deleted, deleted_keep=keep_deleted,
                                 deleted_partition=(scope(client_id, "USERS", "DELETED"), "GSI1"))
    else:
        found, last = users.page(scope(client_id, "USERS"), index="GSI1", limit=limit, cursor=cursor, keep=filtered,
                                 include_deleted=include_deleted)
    return with_logins(found), last


def soft_delete(client_id: str | None, user_id: str, *, actor: Any, operation: str | None = None,
                expected_version: int | None = None, check=None) -> User:
    """deleteUser: gone from gets and lists, the email free again, the login bookkeeping removed
    (the active-users counter follows it)."""
    def drop_login(tx: Tx, user: User, changed: dict) -> None:
        tx.delete(Login(user_id=user.id, client_id=user.client_id).derive_keys())

    return users.soft_delete(client_id, user_id, actor=actor, operation=operation, expected_version=expected_version,
                             check=check, extra=drop_login)


def find_by_email(email: str) -> User | None:
    """The user who holds this email (any tenant), or None. Two reads: the claim, then the user."""
    claim = claims.lookup(email_key(email))
    if claim is None:
        return None
    try:
        return get(*_tenant_and_id(claim.owner_pk))
    except NotFound:
        return None


def _tenant_and_id(pk: str) -> tuple[str | None, str]:
    parts = pk.split("#")  # T#<client>#USER#<id> or P#USER#<id>
    return (parts[1] if parts[0] == "T" else None), parts[-1]


def write(user: User, actions: list, condition=None) -> None:
    """A bookkeeping write of the profile (tokens, two-factor). It bumps `version` too: the stream
    projections order changes by version, so every change of a user must move it."""
    user.update(actions=[*actions, User.version.add(1)], condition=condition)


def _login_write(user: User, actions: list) -> None:
    login = Login(user_id=user.id, client_id=user.client_id).derive_keys()
    login.update(actions=[Login.entity.set(Login), Login.user_id.set(user.id),
                          *([Login.client_id.set(user.client_id)] if user.client_id else []),
                          *actions, Login.version.add(1)])


def record_login(user: User) -> None:
    """`updateLastLogin`, done inside login: last_login, login_count, failed attempts cleared."""
    _login_write(user, [Login.last_login.set(clock.now_ms()), Login.login_count.add(1),
                        Login.failed_login_attempts.set(0)])


def record_failed_login(user: User) -> None:
    _login_write(user, [Login.failed_login_attempts.add(1)])


def clear_failed_logins(user: User) -> None:
    """A password reset starts the count again."""
    _login_write(user, [Login.failed_login_attempts.set(0)])
