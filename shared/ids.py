"""Ids: ULIDs (time-sortable) stamped from `shared.clock`, so ids sort with the clock tests set."""

from ulid import ULID

from shared import clock


def new_id() -> str:
    return str(ULID.from_timestamp(clock.now_ms() / 1000))
