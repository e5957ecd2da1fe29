"""shared.local.moto_sqs: moto's SQS as a client sees it, at O(batch) per call, on the shared clock."""

from __future__ import annotations

import json
import sys
import threading
import time
from contextlib import contextmanager

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.sqs.models import Message, Queue, SQSBackend

from shared import clock
from shared.local import bench_sqs, moto_sqs

# mock_aws resets moto's process-wide state: run apart from the local runtime (see pyproject.toml).
pytestmark = pytest.mark.isolated

REGION = "us-east-1"
T0 = 1_800_000_000_000  # a frozen instant, the same for both implementations
MAX_RECEIVES = 2  # the main queue's redrive policy
COUNTS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed"]

BOTH = pytest.mark.parametrize("indexed", [False, True], ids=["moto", "patched"])


@contextmanager
def aws(indexed: bool = True, **main_attributes):
    """A standard queue redriving to a dead-letter queue after MAX_RECEIVES receives, the clock frozen."""
    with mock_aws(), moto_sqs.installed(indexed):
        clock.freeze(T0)
        sqs = boto3.client("sqs", region_name=REGION)
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES})
        main = sqs.create_queue(QueueName="main", Attributes={
            "VisibilityTimeout": "30", "RedrivePolicy": redrive, **main_attributes})["QueueUrl"]
        try:
            yield sqs, {"main": main, "dlq": dlq}
        finally:
            clock.reset()


def counts(sqs, url: str) -> dict[str, int]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return {name: int(attributes[name]) for name in COUNTS}


def receive(sqs, url: str, n: int = 10, **kwargs) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=n, WaitTimeSeconds=0,
                               AttributeNames=["All"], **kwargs).get("Messages", [])


def bodies(messages: list[dict]) -> list[str]:
    return [m["Body"] for m in messages]


def error_code(call, **kwargs) -> str:
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"


# --- equivalence with moto's own implementation --------------------------------------------------

QUEUES = st.sampled_from(["main", "main", "main", "dlq"])
OPERATIONS = st.one_of(
    st.tuples(st.just("send"), st.lists(st.sampled_from([0, 0, 0, 5, 30]), min_size=1, max_size=10)),
    st.tuples(st.just("receive"), QUEUES, st.integers(1, 10), st.sampled_from([None, None, 0, 10, 40])),
    st.tuples(st.just("delete"), st.integers(0, 50), st.sampled_from(["latest", "first"])),
    st.tuples(st.just("change"), st.integers(0, 50), st.sampled_from(["latest", "first"]),
              st.sampled_from([0, 5, 60])),
    st.tuples(st.just("advance"), st.sampled_from([1, 5, 10, 29, 30, 31, 60])),
    st.tuples(st.just("counts"), QUEUES),
    st.tuples(st.just("purge"), QUEUES),
)


class Client:
    """Runs the drawn operations; `seen` is what a client sees of each (receipt handles and ids aside)."""

    def __init__(self, sqs, urls: dict[str, str]) -> None:
        self.sqs, self.urls = sqs, urls
        self.seen: list = []
        self.handles: dict[str, list[str]] = {}  # body -> the receipt handles it was given, in order
        self.sent = 0

    def send(self, delays: list[int]) -> None:
        entries = [{"Id": str(i), "MessageBody": f"m{self.sent + i}", "DelaySeconds": delay}
                   for i, delay in enumerate(delays)]
        self.sent += len(entries)
        answer = self.sqs.send_message_batch(QueueUrl=self.urls["main"], Entries=entries)
        self.seen.append(len(answer["Successful"]))

    def receive(self, queue: str, n: int, visibility: int | None) -> None:
        got = receive(self.sqs, self.urls[queue], n, **({} if visibility is None else {"VisibilityTimeout": visibility}))
        for m in got:
            self.handles.setdefault(m["Body"], []).append(m["ReceiptHandle"])
        self.seen.append([(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in got])

    def delete(self, pick: int, which: str) -> None:
        self._with_handle("delete", pick, which, lambda url, handle: error_code(
            self.sqs.delete_message, QueueUrl=url, ReceiptHandle=handle))

    def change(self, pick: int, which: str, timeout: int) -> None:
        self._with_handle("change", pick, which, lambda url, handle: error_code(
            self.sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=timeout))

    def _with_handle(self, kind: str, pick: int, which: str, call) -> None:
        if not self.handles:
            return
        body = sorted(self.handles)[pick % len(self.handles)]
        handle = self.handles[body][-1 if which == "latest" else 0]
        # On both queues: the message may have been redriven.
        self.seen.append((kind, body, [call(url, handle) for url in (self.urls["main"], self.urls["dlq"])]))

    def advance(self, seconds: int) -> None:
        clock.advance(seconds)

    def counts(self, queue: str) -> None:
        self.seen.append(counts(self.sqs, self.urls[queue]))

    def purge(self, queue: str) -> None:
        self.seen.append(("purge", error_code(self.sqs.purge_queue, QueueUrl=self.urls[queue])))


def run(indexed: bool, operations: list[tuple]) -> list:
    """What a client sees of each operation, then the queues' counts and what is left to receive."""
    with aws(indexed) as (sqs, urls):
        client = Client(sqs, urls)
        for kind, *args in operations:
            getattr(client, kind)(*args)
        return [*client.seen, [counts(sqs, url) for url in urls.values()],
                [sorted(bodies(receive(sqs, url))) for url in urls.values()]]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPERATIONS, min_size=1, max_size=20))
def test_a_client_sees_what_it_sees_on_moto(operations):
    assert run(True, operations) == run(False, operations)


# --- explicit cases, run against both implementations ---------------------------------------------


@BOTH
def test_receive_returns_visible_messages_in_send_order_and_hides_them_for_the_visibility_timeout(indexed):
    with aws(indexed) as (sqs, urls):
        for i in range(15):
            sqs.send_message(QueueUrl=urls["main"], MessageBody=f"m{i}")

        assert bodies(receive(sqs, urls["main"], 4)) == ["m0", "m1", "m2", "m3"]
        assert bodies(receive(sqs, urls["main"], 10)) == [f"m{i}" for i in range(4, 14)]
        assert counts(sqs, urls["main"]) == dict(zip(COUNTS, [1, 14, 0], strict=True))
        clock.advance(29)
        assert bodies(receive(sqs, urls["main"], 10)) == ["m14"]
        clock.advance(1)  # 30 s after the first receive: its visibility timeout is up
        assert bodies(receive(sqs, urls["main"], 10)) == [f"m{i}" for i in range(10)]
        assert bodies(receive(sqs, urls["main"], 10)) == ["m10", "m11", "m12", "m13"]


@BOTH
def test_a_delayed_message_is_released_by_moving_the_clock(indexed):
    with aws(indexed) as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="later", DelaySeconds=60)
        sqs.send_message(QueueUrl=urls["main"], MessageBody="now")

        got = receive(sqs, urls["main"], VisibilityTimeout=300)
        assert bodies(got) == ["now"]
        assert counts(sqs, urls["main"]) == dict(zip(COUNTS, [0, 1, 1], strict=True))
        clock.freeze(T0 + 59_999)
        assert receive(sqs, urls["main"]) == []
        clock.freeze(T0 + 60_000)
        assert bodies(receive(sqs, urls["main"])) == ["later"]


@BOTH
def test_a_queue_delay_applies_to_messages_sent_without_one(indexed):
    with aws(indexed, DelaySeconds="10") as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="queue delay")
        sqs.send_message(QueueUrl=urls["main"], MessageBody="no delay", DelaySeconds=0)

        assert bodies(receive(sqs, urls["main"])) == ["no delay"]
        clock.advance(10)
        assert bodies(receive(sqs, urls["main"])) == ["queue delay"]


@BOTH
def test_changing_the_visibility_hides_or_releases_a_received_message(indexed):
    with aws(indexed) as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="a")
        handle = receive(sqs, urls["main"])[0]["ReceiptHandle"]

        sqs.change_message_visibility(QueueUrl=urls["main"], ReceiptHandle=handle, VisibilityTimeout=0)
        again = receive(sqs, urls["main"], VisibilityTimeout=100)
        assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in again] == [("a", "2")]
        sqs.change_message_visibility(QueueUrl=urls["main"], ReceiptHandle=again[0]["ReceiptHandle"],
                                      VisibilityTimeout=5)
        clock.advance(4)
        assert counts(sqs, urls["main"]) == dict(zip(COUNTS, [0, 1, 0], strict=True))
        clock.advance(1)  # visible again (the next receive would redrive it: it was received twice)
        assert counts(sqs, urls["main"]) == dict(zip(COUNTS, [1, 0, 0], strict=True))
        too_long = error_code(sqs.change_message_visibility, QueueUrl=urls["main"], ReceiptHandle=handle,
                              VisibilityTimeout=43200)  # 12 hours from now is past 12 hours from the send
        assert too_long == "InvalidParameterValue"


@BOTH
def test_a_visibility_of_zero_returns_the_message_once_per_call(indexed):
    with aws(indexed) as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="a")

        assert bodies(receive(sqs, urls["main"], VisibilityTimeout=0)) == ["a"]
        assert bodies(receive(sqs, urls["main"], VisibilityTimeout=0)) == ["a"]


@BOTH
def test_after_max_receives_a_message_is_redriven_to_the_dead_letter_queue(indexed):
    with aws(indexed) as (sqs, urls):
        for body in ("poison", "ok"):
            sqs.send_message(QueueUrl=urls["main"], MessageBody=body)
        for _ in range(MAX_RECEIVES):
            got = receive(sqs, urls["main"], 1)
            assert bodies(got) == ["poison"]
            clock.advance(30)

        assert bodies(receive(sqs, urls["main"], 1)) == ["ok"]  # poison moved on the way
        assert counts(sqs, urls["dlq"])["ApproximateNumberOfMessages"] == 1
        dead = receive(sqs, urls["dlq"])
        assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in dead] == [("poison", "3")]
        sqs.delete_message(QueueUrl=urls["dlq"], ReceiptHandle=got[0]["ReceiptHandle"])  # an older handle
        assert counts(sqs, urls["dlq"]) == dict.fromkeys(COUNTS, 0)


@BOTH
def test_receipt_handles_delete_once_and_then_no_more(indexed):
    with aws(indexed) as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="a")
        first = receive(sqs, urls["main"], VisibilityTimeout=0)[0]["ReceiptHandle"]
        latest = receive(sqs, urls["main"])[0]["ReceiptHandle"]

        sqs.delete_message(QueueUrl=urls["main"], ReceiptHandle=first)  # any handle it had
        sqs.delete_message(QueueUrl=urls["main"], ReceiptHandle=latest)  # again: accepted, as by moto
        assert counts(sqs, urls["main"]) == dict.fromkeys(COUNTS, 0)
        assert error_code(sqs.change_message_visibility, QueueUrl=urls["main"], ReceiptHandle=latest,
                          VisibilityTimeout=5) == "ReceiptHandleIsInvalid"
        assert error_code(sqs.delete_message, QueueUrl=urls["main"],
                          ReceiptHandle="not-a-handle") == "ReceiptHandleIsInvalid"
        failed = sqs.delete_message_batch(QueueUrl=urls["main"], Entries=[
            {"Id": "gone", "ReceiptHandle": latest}, {"Id": "bad", "ReceiptHandle": "nope"}])
        assert [f["Id"] for f in failed["Failed"]] == ["bad"]


@BOTH
def test_purge_empties_the_queue_once_a_minute(indexed):
    with aws(indexed) as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="visible")
        sqs.send_message(QueueUrl=urls["main"], MessageBody="delayed", DelaySeconds=10)
        sqs.send_message(QueueUrl=urls["main"], MessageBody="in flight")
        receive(sqs, urls["main"], 1)
        handle = receive(sqs, urls["main"], 1)[0]["ReceiptHandle"]

        sqs.purge_queue(QueueUrl=urls["main"])
        assert counts(sqs, urls["main"]) == dict.fromkeys(COUNTS, 0)
        assert error_code(sqs.delete_message, QueueUrl=urls["main"],
                          ReceiptHandle=handle) == "ReceiptHandleIsInvalid"
        assert error_code(sqs.purge_queue, QueueUrl=urls["main"]) == "AWS.SimpleQueueService.PurgeQueueInProgress"
        sqs.send_message(QueueUrl=urls["main"], MessageBody="after")
        clock.advance(60)
        assert bodies(receive(sqs, urls["main"])) == ["after"]
        sqs.purge_queue(QueueUrl=urls["main"])


@BOTH
def test_a_message_past_its_retention_is_never_received(indexed):
    with aws(indexed, MessageRetentionPeriod="60") as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="old")
        clock.advance(30)
        sqs.send_message(QueueUrl=urls["main"], MessageBody="new")
        clock.advance(30)

        assert "old" not in bodies(receive(sqs, urls["main"], 1))
        clock.advance(30)  # "new" is past its 60 s now too
        assert receive(sqs, urls["main"]) == []


@BOTH
def test_message_timestamps_are_the_shared_clocks(indexed):
    with aws(indexed) as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="a")
        clock.advance(7)
        got = receive(sqs, urls["main"])[0]["Attributes"]

        assert (int(got["SentTimestamp"]), int(got["ApproximateFirstReceiveTimestamp"])) == (T0, T0 + 7000)


# --- where the patch deliberately differs from moto (towards AWS) ---------------------------------


def test_an_expired_message_is_dropped_and_the_messages_behind_it_still_come():
    with aws(True, MessageRetentionPeriod="60") as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="old")
        handle = receive(sqs, urls["main"], VisibilityTimeout=0)[0]["ReceiptHandle"]
        clock.advance(30)
        sqs.send_message(QueueUrl=urls["main"], MessageBody="new")
        clock.advance(30)

        assert counts(sqs, urls["main"]) == dict(zip(COUNTS, [1, 0, 0], strict=True))
        assert bodies(receive(sqs, urls["main"])) == ["new"]
        sqs.delete_message(QueueUrl=urls["main"], ReceiptHandle=handle)  # gone already: nothing to do
        assert error_code(sqs.change_message_visibility, QueueUrl=urls["main"], ReceiptHandle=handle,
                          VisibilityTimeout=5) == "ReceiptHandleIsInvalid"


def test_setting_the_clock_back_does_not_delay_a_released_message_again():
    with aws(True) as (sqs, urls):
        sqs.send_message(QueueUrl=urls["main"], MessageBody="a", DelaySeconds=10)
        clock.advance(10)
        assert counts(sqs, urls["main"])["ApproximateNumberOfMessages"] == 1
        clock.freeze(T0)

        assert bodies(receive(sqs, urls["main"])) == ["a"]


# --- long polls: real seconds, whatever the shared clock does -------------------------------------


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo (moto's path)"])
def test_a_long_poll_on_a_frozen_clock_returns_after_its_real_seconds(fifo):
    with aws(True) as (sqs, _):
        name = "poll.fifo" if fifo else "poll"
        url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
        start = time.monotonic()
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)

        assert got.get("Messages", []) == []
        assert 0.95 <= time.monotonic() - start < 5


@pytest.mark.parametrize("meanwhile", ["sent", "delay passed"])
def test_a_long_poll_returns_once_a_message_can_be_received(meanwhile):
    with aws(True) as (sqs, urls):
        if meanwhile == "sent":
            def event():
                boto3.client("sqs", region_name=REGION).send_message(QueueUrl=urls["main"], MessageBody="m")
        else:
            sqs.send_message(QueueUrl=urls["main"], MessageBody="m", DelaySeconds=900)

            def event():
                clock.advance(900)
        timer = threading.Timer(0.3, event)
        timer.start()
        start = time.monotonic()
        got = sqs.receive_message(QueueUrl=urls["main"], WaitTimeSeconds=10)
        timer.join()

        assert bodies(got["Messages"]) == ["m"]
        assert time.monotonic() - start < 5  # well before the 10 s


# --- cost: what one call does does not grow with the queue ----------------------------------------


def _python_calls(call) -> int:
    """Python function calls made while `call()` runs (deterministic, unlike its duration)."""
    made = 0

    def profile(frame, event, arg):
        nonlocal made
        if event == "call":
            made += 1

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return made


def _calls_per_operation(indexed: bool, queued: int) -> dict[str, int]:
    with aws(indexed) as (sqs, urls):
        bench_sqs._fill("main", queued)
        bench_sqs._round(sqs, urls["main"])  # the index built, botocore's caches warm
        entries = [{"Id": str(i), "MessageBody": f"b{i}"} for i in range(10)]
        made = {"send": _python_calls(lambda: sqs.send_message_batch(QueueUrl=urls["main"], Entries=entries))}
        got: list[dict] = []
        made["receive"] = _python_calls(lambda: got.extend(receive(sqs, urls["main"])))
        handle = got[0]["ReceiptHandle"]
        made["change"] = _python_calls(lambda: sqs.change_message_visibility(
            QueueUrl=urls["main"], ReceiptHandle=handle, VisibilityTimeout=60))
        made["delete"] = _python_calls(lambda: sqs.delete_message_batch(QueueUrl=urls["main"], Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]))
        made["counts"] = _python_calls(lambda: counts(sqs, urls["main"]))
        return made


def test_a_call_does_the_same_work_at_2000_queued_as_at_20():
    small, large = _calls_per_operation(True, 20), _calls_per_operation(True, 2000)
    for operation, made in large.items():
        assert made <= small[operation] * 1.1 + 50, (operation, small, large)
    moto_small, moto_large = _calls_per_operation(False, 20), _calls_per_operation(False, 2000)
    assert moto_large["send"] > 10 * moto_small["send"]  # the measure sees moto's O(queue)


def test_the_bench_part_runs_at_small_sizes():
    rows = bench_sqs.measure(sizes=(10, 100), rounds={True: 2, False: 1})

    assert {(r["indexed"], r["queued"], r["call"]) for r in rows} == {
        (indexed, queued, call) for indexed in (False, True) for queued in (10, 100) for call in bench_sqs.CALLS}
    assert all(r["ms"] > 0 for r in rows)
    printed = bench_sqs.report(rows).splitlines()
    assert printed[0].split()[:2] == ["call", "(10"] and len(printed) == 2 + 3 * 2
    assert all(line.endswith("x") for line in printed[2:])


# --- install ----------------------------------------------------------------------------------------


def test_install_is_idempotent_and_uninstall_gives_moto_its_lists_back():
    patched = [(Queue, "approximate_number_of_messages"), (Queue, "delete_message"),
               (SQSBackend, "receive_message"), (Message, "visible")]
    with moto_sqs.installed(True):
        moto_sqs.uninstall()
        originals = [vars(owner)[name] for owner, name in patched]
        moto_sqs.install()
        installed = [vars(owner)[name] for owner, name in patched]
        moto_sqs.install()
        assert [vars(owner)[name] for owner, name in patched] == installed
        assert all(p is not o for p, o in zip(installed, originals, strict=True))
        with mock_aws():
            sqs = boto3.client("sqs", region_name=REGION)
            url = sqs.create_queue(QueueName="q")["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="kept")
            assert counts(sqs, url)["ApproximateNumberOfMessages"] == 1
            moto_sqs.uninstall()
            moto_sqs.uninstall()
            assert [vars(owner)[name] for owner, name in patched] == originals
            assert bodies(receive(sqs, url)) == ["kept"]  # moto's own code, on the list given back
