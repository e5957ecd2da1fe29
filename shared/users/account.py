"""Account flows: email verification, password reset (the seed's resetPassword, in two steps) and
two-factor setup. Tokens are `<tenant>.<user id>.<secret>`, stored only as SHA-256 hashes, single
use, and sent by email through the send pipeline (SendGrid); answers never say whether an email has an account."""

from __future__ import annotations

import secrets as _secrets

from shared import clock
from shared.core import settings
from shared.core.log import logger
from shared.db.writes import applied
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.security.hashing import digest
from shared.users import store

PLATFORM = "P"
RESET_TTL_MS = 60 * 60 * 1000
_BAD_TOKEN = "the link is not valid or has expired"


def new_token(user: store.User) -> tuple[str, str]:
    """A fresh `<tenant>.<user>.<secret>` token for a link, and the hash to store."""
    secret = _secrets.token_urlsafe(32)
    return f"{user.client_id or PLATFORM}.{user.id}.{secret}", digest(secret)


def _user_of(token: str) -> tuple[store.User | None, str]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return None, ""
    tenant, user_id, secret = parts
    try:
        return store.get(None if tenant == PLATFORM else tenant, user_id), digest(secret)
    except NotFound:
        return None, ""


def _send(user: store.User, subject: str, readable: str, text: str) -> None:
    """Queue the email through the send pipeline (shared.communications.account_emails): the answer must
    not depend on delivery, so a refusal to queue it is logged, not raised."""
    from shared.communications.account_emails import queue_account_email

    if queue_account_email(user.client_id, user.id, user.email, subject, readable, text) is None:
        logger.warning("account email not queued", extra={"user_id": user.id, "subject": subject})


def _link(path: str, token: str) -> str:
    return f"{settings.APP_BASE_URL.get()}{path}?token={token}"


def new_verification(user: store.User) -> str:
    """Put a verification token (hashed) on a user about to be written; returns the token to send."""
    token, hashed = new_token(user)
    user.email_verification_token = hashed
    return token


def send_verification(user: store.User, token: str) -> None:
    _send(user, "Confirm your email", "Confirm your email address: (the link is withheld here)",
          f"Confirm your email address: {_link('/verify-email', token)}")


def verify_email(token: str) -> dict:
    """verifyEmail: the token from the email marks the address verified (once)."""
    user, hashed = _user_of(token)
    if user is None or not user.email_verification_token:
        raise ValidationFailed(_BAD_TOKEN, field="/body/token")
    if not applied(lambda: store.write(
            user, [store.User.email_verified.set(True), store.User.email_verification_token.remove()],
            condition=store.User.email_verification_token == hashed)):
        raise ValidationFailed(_BAD_TOKEN, field="/body/token")
    return {"status": "verified"}


def request_password_reset(email: str) -> dict:
    """requestPasswordReset: same answer whether or not the email has an account."""
    user = store.find_by_email(email)
    if user is not None and user.status == "active":
        token, hashed = new_token(user)
        store.write(user, [store.User.password_reset_token.set(hashed),
                           store.User.password_reset_expires.set(clock.now_ms() + RESET_TTL_MS)])
        _send(user, "Reset your password", "Reset your password within an hour: (the link is withheld here)",
              f"Reset your password within an hour: {_link('/reset-password', token)}")
    return {"status": "if the email has an account, a reset link is on its way"}


def confirm_password_reset(token: str, new_password: str) -> dict:
    """confirmPasswordReset: single use; every session of the user is revoked."""
    from shared.security.passwords import hash_password

    user, hashed = _user_of(token)
    if user is None or not user.password_reset_token or (user.password_reset_expires or 0) <= clock.now_ms():
        raise ValidationFailed(_BAD_TOKEN, field="/body/token")
    new_hash = hash_password(new_password)
    if not applied(lambda: store.write(
            user, [store.User.password_hash.set(new_hash), store.User.password_reset_token.remove(),
                   store.User.password_reset_expires.remove()],
            condition=store.User.password_reset_token == hashed)):
        raise ValidationFailed(_BAD_TOKEN, field="/body/token")
    store.clear_failed_logins(user)
    from shared.auth.sessions import revoke_all_sessions

    revoke_all_sessions(user.client_id, user.id, "password reset")
    return {"status": "password changed"}


def enable_two_factor(scope, user_id: str) -> dict:
    """enableTwoFactor: a new secret, kept encrypted until confirmTwoFactor proves the app has it."""
    import pyotp

    from shared.security import totp

    user = _own(scope, user_id)
    if user.two_factor_enabled:
        raise Conflict("two-factor is already on")
    secret = totp.new_secret()
    store.write(user, [store.User.two_factor_pending.set(totp.seal(user, secret))])
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="EchelonX")
    return {"secret": secret, "otpauth_uri": uri}


def confirm_two_factor(scope, user_id: str, code: str) -> dict:
    """confirmTwoFactor: the first valid code turns two-factor on."""
    from shared.security import envelope, totp

    user = _own(scope, user_id)
    if not user.two_factor_pending:
        raise Conflict("start with enableTwoFactor")
    secret = envelope.decrypt(user.two_factor_pending, totp.context_for(user))
    step = totp.matching_step(secret, code)
    if step is None:
        raise ValidationFailed("the code does not match", field="/body/code")
    store.write(user, [store.User.two_factor_secret.set(user.two_factor_pending),
                       store.User.two_factor_pending.remove(), store.User.two_factor_enabled.set(True),
                       store.User.two_factor_last_step.set(step)])
    return store.get(user.client_id, user.id).public()


def _own(scope, user_id: str) -> store.User:
    """Two-factor is set up by its owner only: 404 to a caller who may not read the user, 403 to
    one who may."""
    user = store.get(scope.tenant, user_id)
    scope.require("users:read", user, "user")
    if user.owner_id != scope.actor.user_id:
        raise Forbidden("two-factor is set up by the account's owner only", field="/path/id")
    return user
