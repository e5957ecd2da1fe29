"""TOTP (RFC 6238) second factor: 30 s steps, one step of drift either way, each code used once.

The secret is stored KMS envelope-encrypted, bound to the user by the encryption context.
"""

from __future__ import annotations

from shared import clock
from shared.db.writes import applied
from shared.security import envelope

STEP_SECONDS = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    import pyotp

    return pyotp.random_base32()


def context_for(user) -> dict[str, str]:
    return {"purpose": "totp", "user_id": user.id}


def seal(user, secret: str) -> str:
    return envelope.encrypt(secret, context_for(user))


def matching_step(secret: str, code: str) -> int | None:
    """The time step (within the drift window) whose code equals `code`, or None."""
    import pyotp

    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    now_step = clock.now_s() // STEP_SECONDS
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if _equal(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def verify_for_user(user, code: str) -> bool:
    """True once per valid code: the accepted step is recorded with a conditional write, so the
    same code (or an older one) presented again is refused even by a concurrent request. A write
    DynamoDB did not take (throttling) raises Unavailable: it is not a wrong code."""
    if not user.two_factor_secret:
        return False
    step = matching_step(envelope.decrypt(user.two_factor_secret, context_for(user)), code)
    if step is None:
        return False
    cls = type(user)
    return applied(lambda: user.update(
        actions=[cls.two_factor_last_step.set(step), cls.version.add(1)],
        condition=cls.two_factor_last_step.does_not_exist() | (cls.two_factor_last_step < step)))


def _equal(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())
