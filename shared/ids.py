"""Ids: ULIDs (time-sortable) stamped from `shared.clock`, so ids sort with the clock tests set."""

from shared import clock

# An id as `new_id` writes it: a ULID, 26 characters of Crockford base32 (no I, L, O, U), upper
# case; the first is at most 7 (128 bits). Path ids and ids in bodies must match it.
ULID_PATTERN = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"


def new_id() -> str:
    from ulid import ULID  # on first use: most requests create nothing

    return str(ULID.from_timestamp(clock.now_ms() / 1000))


def id_for(name: str, at_ms: int) -> str:
    """The one ULID of `name` (a provider's id), stamped `at_ms`: every delivery of a provider's event about
    the same thing derives the same id, so recording it under that id records it once."""
    import hashlib

    from ulid import ULID

    stamp = max(0, min(at_ms, 2**48 - 1)).to_bytes(6, "big")
    return str(ULID.from_bytes(stamp + hashlib.sha256(name.encode("utf-8")).digest()[:10]))
