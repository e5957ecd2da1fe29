"""What every provider call returns on success."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import config

if TYPE_CHECKING:
    from decimal import Decimal

# Request/response fields that carry credentials in one provider API or another.
_SECRET_KEYS = frozenset(
    {"auth_token", "authtoken", "api_key", "apikey", "security_key", "password", "authorization"}
)


@dataclass(frozen=True)
class ProviderResult:
    """A provider's answer to an accepted request.

    `raw` is a plain dict safe to store or log: it never holds a credential.
    """

    provider_id: str
    status: str
    cost: Decimal | None = None
    segments: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


def scrub(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Copy `raw` without credential-named keys and with any known secret value redacted."""
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if key.lower() in _SECRET_KEYS:
            continue
        clean[key] = _scrub_value(value)
    return clean


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return config.redact(value)
    if isinstance(value, Mapping):
        return scrub(value)
    if isinstance(value, list | tuple):
        return [_scrub_value(item) for item in value]
    return value
