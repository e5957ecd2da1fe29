"""The local pollers, proved against a fixture stack (tests/fixtures/template.yaml) whose functions record
what they receive: SQS delay, partial batch failures, visibility and redrive; DynamoDB stream order,
images and retries; schedules firing on the shared clock across a DST change; the TTL sweeper.

The fixture stack is a second Runtime in the test process, beside the product's (`local` in conftest).
moto's state is process-wide, so it gets its own stack name; its environment variables are named apart
from the product's and are given back when it stops (pytest-xdist may run both in one worker)."""

from __future__ import annotations

import importlib
import itertools
import json
import os
import re
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from shared import clock
from shared.local.aws import ACCOUNT, REGION, EmbeddedAws
from shared.local.runtime import Runtime

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "template.yaml"
_stacks = itertools.count(1)  # stack names unique within the process: moto's backends are shared


def _runtime(**kwargs) -> Runtime:
    return Runtime(template_path=TEMPLATE, fakes=False, aws=EmbeddedAws(stack=f"fixture-{next(_stacks)}"), **kwargs)


@pytest.fixture(scope="module")
def stack():
    runtime = _runtime().start()
    yield runtime
    runtime.stop()
    # The only errors the pollers may have kept are the stream failures the tests provoke.
    unexpected = [e for e in runtime.poller.errors
                  if not e.startswith("StreamConsumer: ") or not ("poison record" in e or "gave up" in e)]
    assert not unexpected, unexpected


@pytest.fixture(scope="module")
def recorded(stack):
    """The fixture functions' modules, as the runtime imported them (their lists are what they received)."""

    class Modules:
        queue = importlib.import_module("fixture_functions.queue_consumer")
        stream = importlib.import_module("fixture_functions.stream_consumer")
        scheduled = importlib.import_module("fixture_functions.scheduled")

    return Modules


def wait_for(condition, timeout_s: float = 5.0, what: str = "condition"):
    """Poll `condition` until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        time.sleep(0.02)


def tag() -> str:
    return uuid.uuid4().hex[:12]


# --- SQS ---------------------------------------------------------------------------------------------------


def test_a_delayed_message_is_delivered_once_the_shared_clock_has_passed_its_delay(stack, recorded):
    sqs, url, msg = stack.aws.client("sqs"), stack.aws.names["WorkQueue"], tag()
    clock.freeze()
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": msg}), DelaySeconds=60)

    stack.poller.settle("sqs")
    assert not [c for c in recorded.queue.CALLS if c["id"] == msg]  # a minute on the clock: not yet
    clock.advance(60)
    got = wait_for(lambda: [c for c in recorded.queue.CALLS if c["id"] == msg], what="delayed message")

    record = got[0]["record"]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == stack.aws.attrs[("WorkQueue", "Arn")]


def test_a_failed_item_is_redelivered_then_dead_lettered_while_its_batch_mates_are_deleted(stack, recorded):
    sqs, url, dlq = stack.aws.client("sqs"), stack.aws.names["WorkQueue"], stack.aws.names["WorkDeadLetterQueue"]
    ok1, bad, ok2 = tag(), tag(), tag()
    clock.freeze()
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "1", "MessageBody": json.dumps({"id": ok1})},
        {"Id": "2", "MessageBody": json.dumps({"id": bad, "fail": True})},
        {"Id": "3", "MessageBody": json.dumps({"id": ok2})}])

    def delivered(body_id: str) -> list[dict]:
        return [c for c in recorded.queue.CALLS if c["id"] == body_id]

    def dead_lettered():
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        return [m for m in got if json.loads(m["Body"])["id"] == bad]

    wait_for(lambda: delivered(bad), what="the first delivery")
    stack.poller.settle("sqs")
    assert len(delivered(bad)) == 1  # invisible for its 2 s visibility timeout, on the shared clock
    clock.advance(2)
    wait_for(lambda: len(delivered(bad)) == 2, what="the redelivery once the clock passed its visibility")
    clock.advance(2)
    # Received twice (maxReceiveCount 2), moved to the DLQ on the third receive.
    assert wait_for(dead_lettered, what="the failed message in the DLQ")

    assert [d["receive_count"] for d in delivered(bad)] == ["1", "2"]
    # The first delivery shared its batch with a message that succeeded (bad sat between two of them).
    first_batch = recorded.queue.BATCHES[delivered(bad)[0]["batch"]]
    mates = {c["message_id"]: c["id"] for c in recorded.queue.CALLS if c["message_id"] in first_batch}
    assert {ok1, ok2} & set(mates.values())
    stack.poller.settle("sqs")
    for ok in (ok1, ok2):
        assert len(delivered(ok)) == 1  # deleted, never redelivered
    assert len(delivered(bad)) == 2  # dead-lettered, not delivered again


# --- DynamoDB streams ----------------------------------------------------------------------------------------


def _stream_records(recorded, pk: str) -> list[dict]:
    return [r for batch in list(recorded.stream.BATCHES) for r in batch if r["dynamodb"]["Keys"]["PK"]["S"] == pk]


def _batches_with(recorded, pk: str) -> int:
    return sum(any(r["dynamodb"]["Keys"]["PK"]["S"] == pk for r in batch) for batch in list(recorded.stream.BATCHES))


def test_put_update_delete_reach_the_stream_consumer_in_order_with_images(stack, recorded):
    ddb, table, pk = stack.aws.client("dynamodb"), stack.aws.names["Table"], f"ORDER#{tag()}"
    key = {"PK": {"S": pk}, "SK": {"S": "A"}}
    ddb.put_item(TableName=table, Item={**key, "version_no": {"N": "1"}, "name": {"S": "first"}})
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET #v = :v",
                    ExpressionAttributeNames={"#v": "version_no"}, ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName=table, Key=key)

    records = wait_for(lambda: len(r := _stream_records(recorded, pk)) >= 3 and r, what="three stream records")

    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    first, second = {**key, "version_no": {"N": "1"}, "name": {"S": "first"}}, {**key, "version_no": {"N": "2"},
                                                                                   "name": {"S": "first"}}
    assert records[0]["dynamodb"]["NewImage"] == first and "OldImage" not in records[0]["dynamodb"]
    assert records[1]["dynamodb"]["OldImage"] == first and records[1]["dynamodb"]["NewImage"] == second
    assert records[2]["dynamodb"]["OldImage"] == second and "NewImage" not in records[2]["dynamodb"]
    assert all(r["dynamodb"]["Keys"] == key for r in records)
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence)
    assert {r["eventSourceARN"] for r in records} == {stack.aws.attrs[("Table", "StreamArn")]}
    assert isinstance(records[0]["dynamodb"]["ApproximateCreationDateTime"], float)  # JSON, as Lambda sends
    stack.poller.settle("streams")
    assert len(_stream_records(recorded, pk)) == 3  # each delivered once


def test_settle_delivers_what_was_written_while_another_writer_never_stops(stack, recorded):
    """A suite worker's other pollers keep writing: settle returns once the records there when it was
    called are delivered, without waiting for a pass that finds the stream empty."""
    import threading

    ddb, table, mine, busy = stack.aws.client("dynamodb"), stack.aws.names["Table"], f"M#{tag()}", f"W#{tag()}"
    stop = threading.Event()

    def write_forever():
        client = stack.aws.client("dynamodb")
        for n in itertools.count():
            if stop.is_set():  # as fast as it can: some record always waits
                return
            client.put_item(TableName=table, Item={"PK": {"S": busy}, "SK": {"S": str(n)}})

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    try:
        wait_for(lambda: _stream_records(recorded, busy), what="the writer's first record delivered")
        ddb.put_item(TableName=table, Item={"PK": {"S": mine}, "SK": {"S": "A"}})
        stack.poller.settle("streams", timeout_s=30)
        assert len(_stream_records(recorded, mine)) == 1  # delivered when settle returned
    finally:
        stop.set()
        writer.join()


def test_a_settle_that_times_out_says_where_the_poller_is(stack):
    ddb, table = stack.aws.client("dynamodb"), stack.aws.names["Table"]
    ddb.put_item(TableName=table, Item={"PK": {"S": f"T#{tag()}"}, "SK": {"S": "A"}})
    with pytest.raises(TimeoutError) as raised:
        stack.poller.settle("streams", timeout_s=0)
    assert "stream ends" in str(raised.value) and "consumers at" in str(raised.value)
    assert "passes so far" in str(raised.value)
    stack.poller.settle("streams")


def _gave_up(stack) -> int:
    return sum("StreamConsumer: gave up" in e for e in stack.poller.errors)


def _parked(stack, pk: str) -> list[tuple[str, dict]]:
    """(key, invocation record) of every object in the on-failure bucket holding a record of `pk`."""
    s3, bucket = stack.aws.client("s3"), stack.aws.names["ParkedRecords"]
    found = []
    for listed in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        body = json.loads(s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read())
        if any(r["dynamodb"]["Keys"]["PK"]["S"] == pk for r in body["payload"]["Records"]):
            found.append((listed["Key"], body))
    return found


PARKED_KEY = re.compile(r"aws/lambda/[0-9a-f-]{36}/[^/]+/\d{4}/\d{2}/\d{2}/\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}-[0-9a-f-]{36}")


def test_a_record_whose_handler_raises_is_retried_then_skipped(stack, recorded):
    ddb, table, poison, after = stack.aws.client("dynamodb"), stack.aws.names["Table"], f"P#{tag()}", f"G#{tag()}"
    gave_up = _gave_up(stack)
    ddb.put_item(TableName=table, Item={"PK": {"S": poison}, "SK": {"S": "A"}, "n": {"N": "1"}})
    wait_for(lambda: _stream_records(recorded, poison), what="the first version delivered")
    ddb.put_item(TableName=table, Item={"PK": {"S": poison}, "SK": {"S": "A"}, "n": {"N": "2"},
                                        "tags": {"SS": ["a", "b"]}, "poison": {"BOOL": True}})

    # MaximumRetryAttempts 2: the first attempt and two retries, then the poller moves on.
    wait_for(lambda: _gave_up(stack) > gave_up, what="the poller giving up")
    assert _batches_with(recorded, poison) == 4  # the first version once, the poisoned one three times

    # The discarded batch is in the on-failure bucket, as Lambda writes an S3 destination: the invocation
    # record with the whole event, both images of the poisoned change as the table had them.
    (key, parked), = wait_for(lambda: _parked(stack, poison), what="the batch parked")
    assert PARKED_KEY.fullmatch(key), key
    assert parked["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert parked["requestContext"]["approximateInvokeCount"] == 3
    assert parked["requestContext"]["functionArn"] == stack.functions["StreamConsumer"].arn
    assert parked["responseContext"]["functionError"] == "Unhandled"
    records, info = parked["payload"]["Records"], parked["DDBStreamBatchInfo"]
    assert info["batchSize"] == len(records) and info["streamArn"] == stack.aws.attrs[("Table", "StreamArn")]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (
        records[0]["dynamodb"]["SequenceNumber"], records[-1]["dynamodb"]["SequenceNumber"])
    change, = [r for r in records if r["dynamodb"]["Keys"]["PK"]["S"] == poison]
    assert change["eventName"] == "MODIFY"
    assert change["dynamodb"]["OldImage"] == {"PK": {"S": poison}, "SK": {"S": "A"}, "n": {"N": "1"}}
    assert change["dynamodb"]["NewImage"] == {"PK": {"S": poison}, "SK": {"S": "A"}, "n": {"N": "2"},
                                              "tags": {"SS": ["a", "b"]}, "poison": {"BOOL": True}}

    ddb.put_item(TableName=table, Item={"PK": {"S": after}, "SK": {"S": "A"}})
    wait_for(lambda: _stream_records(recorded, after), what="a later record delivered")
    stack.poller.settle("streams")
    assert _batches_with(recorded, poison) == 4


def test_a_reported_record_is_retried_from_its_checkpoint_then_skipped(stack, recorded):
    ddb, table = stack.aws.client("dynamodb"), stack.aws.names["Table"]
    before, failing, after = f"B#{tag()}", f"F#{tag()}", f"G#{tag()}"
    gave_up = _gave_up(stack)
    ddb.put_item(TableName=table, Item={"PK": {"S": before}, "SK": {"S": "A"}})
    ddb.put_item(TableName=table, Item={"PK": {"S": failing}, "SK": {"S": "A"}, "report_failure": {"BOOL": True}})

    wait_for(lambda: _gave_up(stack) > gave_up, what="the poller giving up")
    assert _batches_with(recorded, failing) == 3
    # Whether or not it shared a batch with the failing record, the one before it was not retried.
    assert len(_stream_records(recorded, before)) == 1
    # Parked from the checkpoint on: the reported record, not the one before it that succeeded.
    (_, parked), = wait_for(lambda: _parked(stack, failing), what="the reported record parked")
    assert "functionError" not in parked["responseContext"]  # it answered; it did not raise
    assert not _parked(stack, before)

    ddb.put_item(TableName=table, Item={"PK": {"S": after}, "SK": {"S": "A"}})
    wait_for(lambda: _stream_records(recorded, after), what="a later record delivered")
    assert _batches_with(recorded, failing) == 3


# --- TTL -------------------------------------------------------------------------------------------------------


def test_the_ttl_sweeper_deletes_items_expired_on_the_shared_clock(stack, recorded):
    ddb, table = stack.aws.client("dynamodb"), stack.aws.names["Table"]
    expired, later, past = f"TTL#{tag()}", f"TTL#{tag()}", str(clock.now_s() - 60)
    ddb.put_item(TableName=table, Item={"PK": {"S": expired}, "SK": {"S": "A"}, "expires_at": {"N": past}})
    ddb.put_item(TableName=table, Item={"PK": {"S": later}, "SK": {"S": "A"},
                                        "expires_at": {"N": str(clock.now_s() + 3600)}})

    def gone(pk):
        return lambda: "Item" not in ddb.get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": "A"}})

    wait_for(gone(expired), what="the expired item deleted")
    removed = wait_for(lambda: [r for r in _stream_records(recorded, expired) if r["eventName"] == "REMOVE"],
                       what="its REMOVE record")
    assert removed[0]["dynamodb"]["OldImage"]["expires_at"] == {"N": past}
    stack.poller.settle("ttl")
    assert not gone(later)()  # an hour to go

    clock.advance(2 * 3600)  # the shared clock, not the wall clock, decides
    wait_for(gone(later), what="the item deleted once the clock passed its expiry")


# --- schedules -------------------------------------------------------------------------------------------------


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def test_schedules_fire_at_their_due_instants_on_the_shared_clock_across_dst(stack, recorded):
    """New York springs forward at 2026-03-08 02:00 EST (07:00Z) to 03:00 EDT."""
    scheduler, group = stack.aws.client("scheduler"), stack.aws.names["Schedules"]
    target = {"Arn": stack.functions["Scheduled"].arn, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler"}
    foreign = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:some-other-stack-Fn"
    clock.freeze(_ms("2026-03-07T07:00:00+00:00"))  # 02:00 EST, the day before the change

    def create(name, expression, zone, payload, after=None, arn=None):
        scheduler.create_schedule(
            Name=name, GroupName=group, ScheduleExpression=expression, ScheduleExpressionTimezone=zone,
            FlexibleTimeWindow={"Mode": "OFF"}, Target={**target, "Arn": arn or target["Arn"],
                                                        "Input": json.dumps(payload)},
            **({"ActionAfterCompletion": after} if after else {}))

    create("daily-0230", "cron(30 2 * * ? *)", "America/New_York", {"schedule": "daily"})
    create("once-kolkata", "at(2026-03-07T18:00:00)", "Asia/Kolkata", {"schedule": "kolkata"}, after="DELETE")
    create("once-in-gap", "at(2026-03-08T02:30:00)", "America/New_York", {"schedule": "gap"}, after="NONE")
    create("not-ours", "at(2026-03-07T08:00:00)", "UTC", {"schedule": "foreign"}, after="DELETE", arn=foreign)
    try:
        stack.poller.settle("schedules")  # seen at 07:00Z: what is due from now on fires
        seen = len(recorded.scheduled.CALLS)

        def step_to(iso: str) -> list[tuple[str, str]]:
            nonlocal seen
            clock.freeze(_ms(iso))
            stack.poller.settle("schedules")
            new, seen = recorded.scheduled.CALLS[seen:], len(recorded.scheduled.CALLS)
            return [(c["at"], c["input"].get("schedule") or c["input"].get("source")) for c in new]

        def exists(name: str) -> bool:
            try:
                scheduler.get_schedule(Name=name, GroupName=group)
                return True
            except scheduler.exceptions.ResourceNotFoundException:
                return False

        # 2026-03-07 02:30 EST: the daily cron, to the second.
        assert step_to("2026-03-07T07:29:59+00:00") == []
        assert step_to("2026-03-07T07:30:00+00:00") == [("2026-03-07T07:30:00+00:00", "daily")]
        # A schedule aimed at another stack's function is left alone: not fired, not deleted after completion.
        assert step_to("2026-03-07T08:00:00+00:00") == [] and exists("not-ours")
        # at(18:00) in Kolkata (+05:30) is 12:30Z; ActionAfterCompletion DELETE removes it once it has fired.
        assert step_to("2026-03-07T12:29:59+00:00") == []
        assert step_to("2026-03-07T12:30:00+00:00") == [("2026-03-07T12:30:00+00:00", "kolkata")]
        assert not exists("once-kolkata")
        # The template's ScheduleV2 (Input given as a JSON string): 12:00 in New York is 17:00Z.
        assert step_to("2026-03-07T16:59:59+00:00") == []
        assert step_to("2026-03-07T17:00:00+00:00") == [("2026-03-07T17:00:00+00:00", "template")]
        # Spring-forward day: 02:30 does not exist, so the cron is skipped (neither 06:30Z nor 07:30Z);
        # the at() inside the gap fires with the offset before it, 03:30 EDT = 07:30Z, and stays (NONE).
        assert step_to("2026-03-08T07:29:59+00:00") == []
        assert step_to("2026-03-08T07:30:00+00:00") == [("2026-03-08T07:30:00+00:00", "gap")]
        assert exists("once-in-gap")
        # 2026-03-09 02:30 EDT is 06:30Z; a day's jump then fires the next one alone, no at() again.
        assert step_to("2026-03-09T06:29:59+00:00") == []
        assert step_to("2026-03-09T06:30:00+00:00") == [("2026-03-09T06:30:00+00:00", "daily")]
        assert step_to("2026-03-10T06:30:00+00:00") == [("2026-03-10T06:30:00+00:00", "daily")]
        # The template's other schedule is DISABLED: it never fired across these three days of hours.
        names = {s["Name"]: s for s in scheduler.list_schedules(GroupName=group)["Schedules"]}
        assert names["ScheduledHourlyOff"]["State"] == "DISABLED" and "ScheduledYearly" in names
        assert not [c for c in recorded.scheduled.CALLS if c["input"].get("source") == "disabled"]
        assert {c["function"] for c in recorded.scheduled.CALLS} == {"Scheduled"}
    finally:
        # Left behind, they would fire a catch-up burst when the clock is reset to the wall clock.
        for name in ("daily-0230", "once-kolkata", "once-in-gap", "not-ours"):
            try:
                scheduler.delete_schedule(Name=name, GroupName=group)
            except scheduler.exceptions.ResourceNotFoundException:
                pass


def test_a_schedule_without_input_delivers_the_schedulers_own_notification(stack, recorded):
    scheduler, group = stack.aws.client("scheduler"), stack.aws.names["Schedules"]
    clock.freeze(_ms("2026-03-12T09:00:00+00:00"))  # after the DST test's days: no catch-up of its schedules
    scheduler.create_schedule(
        Name="no-input", GroupName=group, ScheduleExpression="at(2026-03-12T09:05:00)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": stack.functions["Scheduled"].arn, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler"})
    arn = scheduler.get_schedule(Name="no-input", GroupName=group)["Arn"]
    try:
        stack.poller.settle("schedules")
        seen = len(recorded.scheduled.CALLS)
        clock.freeze(_ms("2026-03-12T09:05:00+00:00"))
        stack.poller.settle("schedules")
        [call] = recorded.scheduled.CALLS[seen:]
        event = call["input"]
        # As Scheduler sends it: an EventBridge-shaped event naming the schedule, its detail the *string* "{}".
        assert (event["source"], event["detail-type"], event["detail"]) == ("aws.scheduler", "Scheduled Event", "{}")
        assert event["resources"] == [arn] and event["time"] == "2026-03-12T09:05:00Z"
        assert (event["account"], event["region"]) == (ACCOUNT, REGION) and event["id"]
    finally:
        scheduler.delete_schedule(Name="no-input", GroupName=group)


# --- two runtimes, one process -----------------------------------------------------------------------------------


def test_a_second_runtime_gets_its_own_resources_and_gives_the_environment_back(stack):
    before = dict(os.environ)
    other = _runtime(pollers=False).start()
    try:
        # Same template, same moto backends: only the stack name keeps the two tables apart.
        assert other.aws.names["Table"] != stack.aws.names["Table"]
        assert os.environ["FIXTURE_TABLE_NAME"] == other.aws.names["Table"]
        assert os.environ["AWS_ENDPOINT_URL"] == other.aws.endpoint
    finally:
        other.stop()
    assert dict(os.environ) == before
    stack.aws.client("dynamodb").describe_table(TableName=stack.aws.names["Table"])


def test_the_product_runtime_works_beside_the_fixture_stack(stack, local, login):
    assert local.aws.names["Table"] != stack.aws.names["Table"]
    assert os.environ["TABLE_NAME"] == local.aws.names["Table"]  # the fixture stack never sets it
    assert login("admin")["access_token"]
