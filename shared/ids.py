"""Ids: ULIDs (time-sortable) stamped from `shared.clock`, so ids sort with the clock tests set."""

from shared import clock


def new_id() -> str:
    from ulid import ULID  # on first use: most requests create nothing

    return str(ULID.from_timestamp(clock.now_ms() / 1000))
