"""Applying an injected fault to one provider request."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from .state import Fault
    from .wire import Reply


def apply(
    fault: Fault | None,
    process: Callable[[], Reply],
    failure: Callable[[int], Reply],
    stopping: threading.Event,
) -> Reply:
    """Answer per `fault`: `process` does the real work, `failure(status)` builds the provider's error."""
    if fault is None:
        return process()
    if fault.mode == "500":
        return failure(500)
    if fault.mode == "429":
        reply = failure(429)
        reply.headers["Retry-After"] = str(fault.retry_after)
        return reply
    if fault.mode == "hang":
        # Outlive the client's timeout, then act on the request anyway: the client cannot know
        # whether it went through. Stopping the fakes cuts the wait short and drops the request.
        if stopping.wait(fault.delay):
            return failure(503)
        return process()
    reply = process()  # "send_then_500": the provider acted, then the answer was lost
    return failure(500) if reply.status < 300 else reply
