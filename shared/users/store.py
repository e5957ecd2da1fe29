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
from shared.db import claims
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
    deleted_at = NumberAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()

    def keys(self):
        scope = (lambda *p: tenant_key(self.client_id, *p)) if self.client_id else platform_key
        created = f"{self.created_at:015d}#{self.id}"
        return {"PK": scope("USER", self.id), "SK": "USER", "GSI1PK": scope("USERS"), "GSI1SK": created}

    def public(self) -> dict:
        """The user as the API shows it: never a hash, token or secret."""
        data = self.attribute_values.copy()
        for name in ("password_hash", "password_reset_token", "email_verification_token", "two_factor_secret",
                     "two_factor_last_step", "PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "entity", "expires_at"):
            data.pop(name, None)
        return data


def email_key(email: str) -> str:
    return platform_key("EMAIL", email.strip().lower())


def user_key(client_id: str | None, user_id: str) -> str:
    return tenant_key(client_id, "USER", user_id) if client_id else platform_key("USER", user_id)


def get(client_id: str | None, user_id: str) -> User:
    try:
        user = User.get(user_key(client_id, user_id), "USER")
    except User.DoesNotExist:
        raise NotFound("user not found") from None
    if user.deleted_at:
        raise NotFound("user not found")
    return user


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


def record_login(user: User) -> None:
    """`updateLastLogin`, done inside login: last_login, login_count, failed attempts cleared."""
    user.update(actions=[
        User.last_login.set(clock.now_ms()),
        User.login_count.set((User.login_count | 0) + 1),
        User.failed_login_attempts.set(0),
    ])


def record_failed_login(user: User) -> None:
    user.update(actions=[User.failed_login_attempts.set((User.failed_login_attempts | 0) + 1)])
