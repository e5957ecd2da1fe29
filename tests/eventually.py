"""A bounded poll for what the pollers deliver beside a test (streams, SQS, the outbox)."""

from __future__ import annotations

import time


def eventually(predicate, seconds: float = 60.0, interval: float = 0.05):
    """The first truthy value of `predicate()` within `seconds`; fails the test otherwise. The bound is generous:
    a suite worker's stream consumer carries every test's records, and on a loaded machine 15 s was not enough."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {seconds} s")
