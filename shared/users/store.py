"""The users store: the only code that knows how a user is keyed.

Tenant users live under `T#<client_id>#USER#<id>`; super_admins (no tenant) under `P#USER#<id>`.
Emails are unique platform-wide through a `P#EMAIL#<lower email>` claim written in the same
transaction as the user, which is also how login finds a user by email.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from shared import audit, clock
from shared import mutation as mutate
from shared.db import claims, query
from shared.db.table import Item, platform_key, tenant_key
from shared.db.tx import Tx
from shared.errors import NotFound


class User(Item, discriminator="USER"):
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
    last_login = NumberAttribute(null=True)
    login_count = NumberAttribute(null=True)
    failed_login_attempts = NumberAttribute(null=True)
    password_reset_token = UnicodeAttribute(null=True)
    password_reset_expires = NumberAttribute(null=True)
    email_verified = BooleanAttribute(null=True)
    email_verification_token = UnicodeAttribute(null=True)
    two_factor_enabled = BooleanAttribute(null=True)
    two_factor_secret = UnicodeAttribute(null=True)  # KMS envelope-encrypted
    two_factor_last_step = NumberAttribute(null=True)  # last TOTP time step accepted (no replay)
    two_factor_pending = UnicodeAttribute(null=True)  # envelope-encrypted secret awaiting confirmTwoFactor
    deleted_at = NumberAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()

    def keys(self):
        scope = (lambda *p: tenant_key(self.client_id, *p)) if self.client_id else platform_key
        created = f"{self.created_at:015d}#{self.id}"
        return {"PK": scope("USER", self.id), "SK": "USER", "GSI1PK": scope("USERS"), "GSI1SK": created,
                "GSI2PK": scope("USERS", "ROLE", self.role), "GSI2SK": created}

    hidden = frozenset({"password_hash", "password_reset_token", "email_verification_token",
                        "two_factor_secret", "two_factor_last_step", "two_factor_pending"})


def email_key(email: str) -> str:
    return platform_key("EMAIL", email.strip().lower())


def user_key(client_id: str | None, user_id: str) -> str:
    return tenant_key(client_id, "USER", user_id) if client_id else platform_key("USER", user_id)


def scope(client_id: str | None, *parts: str) -> str:
    return tenant_key(client_id, *parts) if client_id else platform_key(*parts)


def get(client_id: str | None, user_id: str, include_deleted: bool = False) -> User:
    try:
        user = User.get(user_key(client_id, user_id), "USER")
    except User.DoesNotExist:
        raise NotFound("user not found") from None
    if user.deleted_at and not include_deleted:
        raise NotFound("user not found")
    return user


def list_users(client_id: str | None, *, role: str | None, status: str | None, include_deleted: bool,
               limit: int, cursor: str | None) -> tuple[list[User], dict | None]:
    """Newest first; by role through GSI2, by status filtered within the read budget."""
    def keep(u: User) -> bool:
        return (include_deleted or not u.deleted_at) and (status is None or u.status == status)

    if role:
        return query.page(User, scope(client_id, "USERS", "ROLE", role), index="GSI2", limit=limit,
                          cursor=cursor, newest_first=True, keep=keep)
    return query.page(User, scope(client_id, "USERS"), index="GSI1", limit=limit, cursor=cursor,
                      newest_first=True, keep=keep)


def update(client_id: str | None, user_id: str, changes: dict, *, actor, operation: str,
           expected_version: int | None = None, check=None) -> User:
    """Change fields; a new email moves its platform-wide claim in the same transaction."""
    def move_email_claim(tx: Tx, user: User, changed: dict) -> None:
        if "email" in changed and email_key(changed["email"]) != email_key(user.email):
            claims.release(tx, email_key(user.email))
            claims.claim(tx, email_key(changed["email"]), user, field="/body/email", client_id=user.client_id)

    return mutate.update(User, user_key(client_id, user_id), "USER", changes, actor=actor, what="user",
                         operation=operation, expected_version=expected_version, check=check,
                         extra=move_email_claim)


def soft_delete(client_id: str | None, user_id: str, *, actor, expected_version: int | None = None,
                check=None) -> User:
    """deleteUser: hidden from lists and gets, its email released for reuse."""
    def release_email(tx: Tx, user: User, changed: dict) -> None:
        claims.release(tx, email_key(user.email))

    return mutate.update(User, user_key(client_id, user_id), "USER", {"deleted_at": clock.now_ms()},
                         actor=actor, what="user", operation="deleteUser", expected_version=expected_version,
                         check=check, extra=release_email)


def find_by_email(email: str) -> User | None:
    """The user who holds this email (any tenant), or None. Two reads: the claim, then the user."""
    claim = claims.lookup(email_key(email))
    if claim is None:
        return None
    try:
        user = User.get(claim.owner_pk, claim.owner_sk)
    except User.DoesNotExist:
        return None
    return None if user.deleted_at else user


def create(user: User, actor=None) -> User:
    """Write a new user with its email claim and audit entry, all or nothing."""
    now = clock.now_ms()
    user.created_at = user.created_at or now
    user.updated_at = now
    user.version = 1
    tx = Tx()
    tx.put(user, condition=User.PK.does_not_exist())
    claims.claim(tx, email_key(user.email), user, field="/body/email", client_id=user.client_id)
    audit.record(tx, actor, "user", user.id, "createUser", None, user.public(), client_id=user.client_id)
    tx.commit()
    return user


def write(user: User, actions: list, condition=None) -> None:
    """A bookkeeping write (login, tokens, two-factor). It bumps `version` too: the stream
    projections order changes by version, so every change of a user must move it."""
    user.update(actions=[*actions, User.version.add(1)], condition=condition)


def record_login(user: User) -> None:
    """`updateLastLogin`, done inside login: last_login, login_count, failed attempts cleared."""
    write(user, [
        User.last_login.set(clock.now_ms()),
        User.login_count.set((User.login_count | 0) + 1),
        User.failed_login_attempts.set(0),
    ])


def record_failed_login(user: User) -> None:
    write(user, [User.failed_login_attempts.set((User.failed_login_attempts | 0) + 1)])
