"""The one JSON encoding of answers and exports: Decimal as an exact JSON number, sets sorted."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Exact in the JSON text: a Decimal of up to 15 significant digits (every amount we hold)
        # has a float whose shortest repr is the same digits, and integral values go out as ints.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(body: Any) -> str:
    return json.dumps(body, default=_default, separators=(",", ":"), ensure_ascii=False)
