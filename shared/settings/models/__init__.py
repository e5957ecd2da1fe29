"""Setting shapes, one module per kind of operation (`reads`, `writes`); this package file holds the
field types they share."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.ids import ULID_PATTERN
from shared.settings.catalogue import KEY_MAX, KEY_PATTERN

ScopeType = Literal["system", "client", "user"]
Category = Literal["general", "messaging", "sms", "email", "custom"]
Key = Annotated[str, Field(min_length=3, max_length=KEY_MAX, pattern=KEY_PATTERN,
                           description="`<category>.<name>`: a declared key, or `custom.<name>`")]
UserId = Annotated[str, Field(pattern=ULID_PATTERN, description="the user whose settings (type=user); default: the caller")]
