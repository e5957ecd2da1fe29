"""Provider settings: what the adapters share to read theirs (`shared.core.settings` declares them).

Each adapter reads its own settings (`twilio_sms.load_config()`, `sendgrid_email.load_config()`,
`nmi.load_config()`), so a function that sends email reaches SendGrid's settings and no others. They
are read on use, never at import. A secret (auth token, API key, security key) is never in the
environment: its setting `<NAME>_SECRET_ID` names the Secrets Manager secret that holds it, fetched on
first use and cached by id until `reset()`; tests may `inject_secret()` it instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shared.core import settings
from shared.core.settings import MissingSetting

if TYPE_CHECKING:
    from shared.core.settings import Setting

__all__ = ["MissingSetting", "NmiConfig", "SendGridConfig", "TwilioConfig", "clear_injected",
           "inject_secret", "known_secrets", "redact", "reset", "secret", "timeout"]

_lock = threading.Lock()
_injected: dict[str, str] = {}
_fetched: dict[str, str] = {}  # secret id -> value, fetched once per container
_known_secrets: set[str] = set()  # every secret value handed out, so `redact` can scrub it anywhere
_MIN_REDACTED_LENGTH = 8  # shorter "secrets" (test stubs) would shred ordinary text


@dataclass(frozen=True)
class TwilioConfig:
    """Twilio settings; `api_base` None means the real api.twilio.com."""

    account_sid: str
    auth_token: str = field(repr=False)
    api_base: str | None
    timeout: float


@dataclass(frozen=True)
class SendGridConfig:
    """SendGrid settings."""

    api_key: str = field(repr=False)
    api_base: str
    timeout: float


@dataclass(frozen=True)
class NmiConfig:
    """NMI Direct Post settings."""

    security_key: str = field(repr=False)
    api_base: str
    timeout: float


def inject_secret(name: str, value: str) -> None:
    """Supply a secret (e.g. "TWILIO_AUTH_TOKEN") without putting it in the environment."""
    with _lock:
        _injected[name] = value
    _remember(value)
    reset()


def reset() -> None:
    """Forget the secrets fetched so far, so the next use fetches them again (tests, local runtime)."""
    with _lock:
        _fetched.clear()


def clear_injected() -> None:
    """Drop injected secrets (tests)."""
    with _lock:
        _injected.clear()
    reset()


def redact(text: str) -> str:
    """Replace every known secret value in `text` with a placeholder."""
    for secret in list(_known_secrets):
        if secret and secret in text:
            text = text.replace(secret, "[REDACTED]")
    return text


def known_secrets() -> frozenset[str]:
    """The secret values loaded so far (for log filters and tests)."""
    return frozenset(_known_secrets)


def timeout() -> float:
    """Connect and read timeout of every provider HTTP call."""
    return float(settings.PROVIDER_TIMEOUT_SECONDS.get())


def secret(setting: Setting) -> str:
    """The secret that `setting` (`<NAME>_SECRET_ID`) names: injected as <NAME>, else fetched and cached."""
    name = setting.name.removesuffix("_SECRET_ID")
    value = _injected.get(name)
    if not value:
        secret_id = setting.get()
        with _lock:
            value = _fetched.get(secret_id)
        if value is None:
            value = _fetch_secret(secret_id)
            with _lock:
                _fetched[secret_id] = value
    _remember(value)
    return value


def _remember(secret: str) -> None:
    if len(secret) >= _MIN_REDACTED_LENGTH:
        with _lock:
            _known_secrets.add(secret)


def _fetch_secret(secret_id: str) -> str:
    from shared.core import aws

    response = aws.client("secretsmanager").get_secret_value(SecretId=secret_id)
    return response["SecretString"].strip()
