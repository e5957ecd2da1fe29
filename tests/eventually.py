"""A bounded poll for what the pollers deliver beside a test (streams, SQS, the outbox)."""

from __future__ import annotations

import time


def eventually(predicate, seconds: float = 15.0, interval: float = 0.05):
    """The first truthy value of `predicate()` within `seconds`; fails the test otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {seconds} s")
