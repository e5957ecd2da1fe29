"""Provider settings, read from the environment the first time an adapter needs them.

Nothing is read at import time, so a Lambda cold start pays for a provider only when a handler uses it,
and tests can set the environment before the first call (then call `reset()` when they change it).

Environment variables
---------------------
TWILIO_ACCOUNT_SID
    Account SID ("AC..."), used as the Basic-auth user and in every REST path.
TWILIO_AUTH_TOKEN
    Auth token (secret). In production leave it unset and set TWILIO_AUTH_TOKEN_SECRET_ID to the
    AWS Secrets Manager id holding it; the local runtime and tests may also `inject_secret()` it.
TWILIO_API_BASE
    Optional. Unset means the real https://api.twilio.com. Locally `http://127.0.0.1:PORT`: every
    request URL the SDK builds has its scheme and host rewritten to this base.
SENDGRID_API_KEY
    API key (secret); same SENDGRID_API_KEY_SECRET_ID / `inject_secret()` alternatives as above.
SENDGRID_API_BASE
    Optional, default https://api.sendgrid.com.
NMI_SECURITY_KEY
    Direct Post API security key (secret); same NMI_SECURITY_KEY_SECRET_ID / `inject_secret()`
    alternatives as above.
NMI_API_BASE
    Optional, default https://secure.nmi.com (requests go to `{base}/api/transact.php`).
PROVIDER_TIMEOUT_SECONDS
    Optional, default 10: connect and read timeout of every provider HTTP call. Lambda must give up
    before its own deadline so the caller can record an ambiguous send instead of dying mid-call.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, field

SENDGRID_DEFAULT_BASE = "https://api.sendgrid.com"
NMI_DEFAULT_BASE = "https://secure.nmi.com"
DEFAULT_TIMEOUT_SECONDS = 10.0

_lock = threading.Lock()
_injected: dict[str, str] = {}
_known_secrets: set[str] = set()  # every secret value handed out, so `redact` can scrub it anywhere
_MIN_REDACTED_LENGTH = 8  # shorter "secrets" (test stubs) would shred ordinary text


class MissingSetting(LookupError):
    """A required provider setting is absent; the message names the variable, never a value."""


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
    """Forget the cached settings so the next call re-reads the environment (tests, local runtime)."""
    twilio.cache_clear()
    sendgrid.cache_clear()
    nmi.cache_clear()


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


@functools.cache
def twilio() -> TwilioConfig:
    """Twilio settings (cached until `reset()`)."""
    return TwilioConfig(
        account_sid=_required("TWILIO_ACCOUNT_SID"),
        auth_token=_secret("TWILIO_AUTH_TOKEN"),
        api_base=_base("TWILIO_API_BASE", None),
        timeout=_timeout(),
    )


@functools.cache
def sendgrid() -> SendGridConfig:
    """SendGrid settings (cached until `reset()`)."""
    return SendGridConfig(
        api_key=_secret("SENDGRID_API_KEY"),
        api_base=_base_or("SENDGRID_API_BASE", SENDGRID_DEFAULT_BASE),
        timeout=_timeout(),
    )


@functools.cache
def nmi() -> NmiConfig:
    """NMI settings (cached until `reset()`)."""
    return NmiConfig(
        security_key=_secret("NMI_SECURITY_KEY"),
        api_base=_base_or("NMI_API_BASE", NMI_DEFAULT_BASE),
        timeout=_timeout(),
    )


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"{name} is not set")
    return value


def _base(name: str, default: str | None) -> str | None:
    value = os.environ.get(name, "").strip().rstrip("/")
    return value or default


def _base_or(name: str, default: str) -> str:
    """A provider's API base URL: the setting, else the provider's own."""
    return _base(name, None) or default


def _timeout() -> float:
    raw = os.environ.get("PROVIDER_TIMEOUT_SECONDS", "").strip()
    return float(raw) if raw else DEFAULT_TIMEOUT_SECONDS


def _secret(name: str) -> str:
    """Injected value, else the variable itself, else the Secrets Manager secret `{name}_SECRET_ID`."""
    value = _injected.get(name) or os.environ.get(name, "").strip()
    if not value:
        secret_id = os.environ.get(f"{name}_SECRET_ID", "").strip()
        if not secret_id:
            raise MissingSetting(f"{name} (or {name}_SECRET_ID) is not set")
        value = _fetch_secret(secret_id)
    _remember(value)
    return value


def _remember(secret: str) -> None:
    if len(secret) >= _MIN_REDACTED_LENGTH:
        with _lock:
            _known_secrets.add(secret)


def _fetch_secret(secret_id: str) -> str:
    import boto3  # only production needs it, and only on first use

    response = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)
    return response["SecretString"].strip()
