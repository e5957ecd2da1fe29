"""Ids: ULIDs (time-sortable) stamped from `shared.clock`, so ids sort with the clock tests set."""

from shared import clock

# An id as `new_id` writes it: a ULID, 26 characters of Crockford base32 (no I, L, O, U), upper
# case; the first is at most 7 (128 bits). Path ids and ids in bodies must match it.
ULID_PATTERN = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"


def new_id() -> str:
    from ulid import ULID  # on first use: most requests create nothing

    return str(ULID.from_timestamp(clock.now_ms() / 1000))
