"""SQS call times on moto, with and without ``shared.local.moto_sqs``'s index, at two queue lengths.

Per round, through boto3 to an in-process ``mock_aws``: a send_message_batch of 10, a receive of 10 and
a delete_message_batch of what it received, so the queue keeps its length. The queue is filled straight
in the backend (through moto's own sending, filling 10,000 would take minutes unpatched). Medians of the
rounds, in ms of CPU time (this thread: mock_aws answers on the caller's thread), as the machine is shared. Run ``python -m shared.local.bench_sqs``.
"""

from __future__ import annotations

import gc
import statistics
import time
import uuid

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import Message, sqs_backends

from shared.local import moto_sqs
from shared.local.bench_common import table

REGION = "us-east-1"
CALLS = ("send_message_batch", "receive_message", "delete_message_batch")
SIZES = (10, 10000)
ROUNDS = {True: 30, False: 3}  # unpatched, a round at 10,000 queued takes seconds
QUICK_ROUNDS = {True: 10, False: 1}


def measure(sizes: tuple[int, ...] = SIZES, rounds: dict[bool, int] | None = None) -> list[dict]:
    """One row per implementation, queue length and call: {"indexed", "queued", "call", "ms", "rounds"}."""
    rounds = rounds or ROUNDS
    rows = []
    for indexed in (False, True):
        for queued in sizes:
            times = _rounds(indexed, queued, rounds[indexed])
            rows += [{"indexed": indexed, "queued": queued, "call": call, "ms": statistics.median(times[call]),
                      "rounds": rounds[indexed]} for call in CALLS]
    return rows


def _rounds(indexed: bool, queued: int, rounds: int) -> dict[str, list[float]]:
    with mock_aws(), moto_sqs.installed(indexed):
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName=f"bench-{queued}")["QueueUrl"]
        _fill(f"bench-{queued}", queued)
        _round(sqs, url)  # untimed: botocore's model loading, moto's parser caches, the index being built
        times: dict[str, list[float]] = {call: [] for call in CALLS}
        gc.collect()
        for _ in range(rounds):
            for call, ms in _round(sqs, url).items():
                times[call].append(ms)
    return times


def _fill(queue_name: str, n: int) -> None:
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].get_queue(queue_name)
    for i in range(n):
        message = Message(str(uuid.uuid4()), f"fill {i:07d} " + "x" * 100)
        message.mark_sent()
        queue._messages.append(message)


def _round(sqs, url: str) -> dict[str, float]:
    entries = [{"Id": str(i), "MessageBody": f"bench {i}"} for i in range(10)]
    start = time.thread_time()
    sqs.send_message_batch(QueueUrl=url, Entries=entries)
    sent = time.thread_time()
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    received = time.thread_time()
    sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    deleted = time.thread_time()
    return {"send_message_batch": (sent - start) * 1000, "receive_message": (received - sent) * 1000,
            "delete_message_batch": (deleted - received) * 1000}


def report(rows: list[dict]) -> str:
    """A table: per call and queue length, moto's and the patched time, and moto / patched."""
    by = {(r["indexed"], r["queued"], r["call"]): r for r in rows}
    sizes = sorted({r["queued"] for r in rows})
    lines = []
    for call in CALLS:
        for queued in sizes:
            moto, patched = by[(False, queued, call)]["ms"], by[(True, queued, call)]["ms"]
            lines.append([call, f"{queued:,}", f"{moto:.1f}", f"{patched:.1f}", f"{moto / patched:.1f}x"])
    return table(["call (10 messages)", "queued", "moto 5.2.5 ms", "patched ms", "moto / patched"], lines)


def main(quick: bool = False) -> None:
    print(report(measure(rounds=QUICK_ROUNDS if quick else ROUNDS)))


if __name__ == "__main__":
    main()
