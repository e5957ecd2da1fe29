"""Decorators for functions that are not HTTP operations: the authorizer and event consumers.

Like `operation`, each records a `FunctionSpec` from which `echelonx template` writes the
function's entry (trigger included) in template.yaml.
"""

from __future__ import annotations

import functools
from typing import Any

from shared.api.spec import FunctionSpec


def _declare(kind: str, name: str, trigger: dict):
    def wrap(fn):
        spec = FunctionSpec(kind=kind, name=name, trigger=trigger, summary=(fn.__doc__ or "").strip())

        @functools.wraps(fn)
        def handler(event: dict, context: Any = None):
            return fn(event, context)

        handler.spec = spec  # type: ignore[attr-defined]  # read by echelonx template and the local runtime
        return handler

    return wrap


def authorizer(name: str = "authorizer"):
    """The HttpApi's Lambda authorizer (simple responses, payload format 2.0)."""
    return _declare("authorizer", name, {})


def queue_consumer(name: str, queue: str, batch_size: int = 10, batch_window_s: int = 0):
    """An SQS consumer with partial batch responses; `queue` is the queue's logical id in template.yaml."""
    return _declare("queue", name, {"queue": queue, "batch_size": batch_size, "batch_window_s": batch_window_s})


def stream_consumer(name: str, batch_size: int = 100, retries: int = 5, parked_in: str = "ParkedRecordsBucket"):
    """A consumer of the table's DynamoDB stream (NEW_AND_OLD_IMAGES). A batch still failing after
    `retries` is written, whole, to the S3 bucket `parked_in` (its logical id): the on-failure destination."""
    return _declare("stream", name, {"batch_size": batch_size, "retries": retries, "parked_in": parked_in})


def scheduled(name: str, expression: str, timezone: str = "UTC", input: dict | None = None):
    """A function fired on a fixed EventBridge Scheduler expression (`rate(1 minute)`, `cron(0 9 * * ? *)`),
    read in `timezone` (an IANA name: cron and at() follow its daylight saving time). `input` is the event the
    function receives; without it Scheduler sends its own notification naming the schedule. Every schedule
    invokes through the stack's one SchedulerRole (`echelonx template` checks the expression and zone)."""
    return _declare("schedule", name, {"expression": expression, "timezone": timezone, "input": input})
