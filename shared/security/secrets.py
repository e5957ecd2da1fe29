"""Secrets and parameters through Powertools Parameters, kept per container for five minutes.

The age of a kept copy is read from `shared.clock` (on Lambda, the system clock), so a test moves
time past it instead of waiting, as it does for every other expiry.
"""

from __future__ import annotations

from typing import Any

from shared import clock

MAX_AGE_SECONDS = 300

_kept: dict[tuple[str, str], tuple[int, Any]] = {}  # (kind, name) → (read at, epoch s; value)


def secret_json(name: str, max_age: int = MAX_AGE_SECONDS) -> Any:
    return _kept_or_read("secret", name, max_age)


def parameter_json(name: str, max_age: int = MAX_AGE_SECONDS) -> Any:
    """The parameter's JSON value, from a copy at most `max_age` seconds old."""
    return _kept_or_read("parameter", name, max_age)


def forget() -> None:
    """Drop every kept copy (the local runtime does, when the SDKs start talking to another AWS)."""
    _kept.clear()


def _kept_or_read(kind: str, name: str, max_age: int) -> Any:
    now = clock.now_s()
    kept = _kept.get((kind, name))
    if kept is not None and 0 <= now - kept[0] < max_age:  # a clock moved back makes a copy stale too
        return kept[1]
    from aws_lambda_powertools.utilities import parameters

    read = parameters.get_secret if kind == "secret" else parameters.get_parameter
    value = read(name, transform="json", force_fetch=True)
    _kept[(kind, name)] = (now, value)
    return value
