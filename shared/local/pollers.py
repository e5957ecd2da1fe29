"""Event sources, as Lambda's pollers and EventBridge Scheduler would drive the functions:
SQS (batches, partial batch failures, visibility and redrive left to SQS), DynamoDB streams (in
order, retried, then skipped and handed to the S3 on-failure destination), due schedules (fired on the shared clock), and a TTL sweeper.

Several runtimes may share one process, and moto's state is process-wide: each Pollers fires only
schedules that target its own functions, and reads only its own queues, streams and table."""

from __future__ import annotations

import json
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shared import clock
from shared.local.aws import ACCOUNT, REGION

if TYPE_CHECKING:
    from shared.local.lambda_runtime import LocalFunction

DEFAULT_STREAM_RETRIES = 3  # AWS's default is -1 (until the record expires); locally a bad record must not stall


class Pollers:
    def __init__(self, aws, template: dict, functions: dict[str, LocalFunction], table_logical_id: str = "Table"):
        self.aws, self.template, self.functions = aws, template, functions
        self.table = table_logical_id
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stream_positions: dict[str, tuple[str, str]] = {}  # consumer → (iterator type, sequence number)
        self._stream_failures: dict[str, tuple[str, int]] = {}  # consumer → (checkpoint, failed attempts)
        self._schedules: dict[str, list[datetime]] = {}  # schedule → [first seen, checked up to]
        self._table_keys: dict[str, list[str]] = {}
        self.errors: list[str] = []
        self.passes: dict[str, int] = {}  # completed passes per poller
        self._idle_passes: dict[str, int] = {}  # passes that found nothing to deliver, for settle()
        self._passed = threading.Condition()
        self._wake: dict[str, threading.Event] = {}

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self, interval_s: float = 0.1) -> Pollers:
        self._create_template_schedules()
        # A TTL sweep scans the table: twice a second is plenty (items expire on minute scales).
        for name, target, interval in (("sqs", self.poll_queues, interval_s), ("streams", self.poll_streams, interval_s),
                                       ("schedules", self.poll_schedules, interval_s),
                                       ("ttl", self.sweep_ttl, max(interval_s, 0.5))):
            self._wake[name] = threading.Event()
            t = threading.Thread(target=self._loop, args=(name, target, interval), name=f"poller-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop polling, waiting at most `timeout_s` in all (not per poller: four 5 s waits in turn made a
        busy runtime slow to stop) for passes under way. A pass still running then (a function waiting on
        a provider) is left to end on its daemon thread."""
        self._stop.set()
        for wake in self._wake.values():
            wake.set()
        deadline = time.monotonic() + timeout_s
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))

    def settle(self, *names: str, timeout_s: float = 240.0) -> None:
        """Return once each named poller (default: all) has delivered what was due when it was called (a
        moved clock, a write), however long its backlog.

        Streams: every consumer has read past the stream's last record as it stood at the call, then past
        the records its own deliveries wrote (a projection's writes are records too), for a few rounds.
        Waiting for a pass that found nothing instead never ended on a suite worker whose other pollers
        kept writing. The others: a pass begun after the call that found nothing left to deliver."""
        names = names or tuple(self._wake)
        deadline = time.monotonic() + timeout_s
        idle = tuple(n for n in names if n != "streams")
        if "streams" in names and "streams" in self._wake:
            for _ in range(self.SETTLE_ROUNDS):
                ends = self._stream_ends()
                if ends is None:  # not moto in this process: the stream is settled like the others
                    idle += ("streams",)
                    break
                self._wait("streams", lambda ends=ends: self._read_past(ends), deadline, ends)
                if self._stream_ends() == ends:
                    break
        if idle:
            with self._passed:
                # +2: an idle pass under way now may have looked before the change; the next one cannot have.
                wanted = {n: self._idle_passes.get(n, 0) + 2 for n in idle}
            for n in idle:
                self._wait(n, lambda n=n: self._idle_passes.get(n, 0) >= wanted[n], deadline, None)

    SETTLE_ROUNDS = 4

    def _wait(self, name: str, done, deadline: float, ends) -> None:
        def check() -> bool:
            if done():
                return True
            self._wake[name].set()  # no need to sit out the poll interval
            return False

        with self._passed:
            if not self._passed.wait_for(check, max(0.0, deadline - time.monotonic())):
                behind = f"; stream ends {ends}, consumers at {self._stream_positions}" if ends else ""
                raise TimeoutError(f"poller {name!r} did not deliver what was due in time{behind}; "
                                   f"{self.passes.get(name, 0)} passes so far; it is at:\n{self._where(name)}")

    def _where(self, name: str) -> str:
        """The poller thread's stack now: a settle that timed out says whether it was stuck or slow."""
        import sys

        thread = next((t for t in self._threads if t.name == f"poller-{name}"), None)
        frame = sys._current_frames().get(thread.ident) if thread and thread.ident else None
        if not frame:
            return "(not running)"
        stack = traceback.extract_stack(frame)
        # Our own frames say what it was doing (which function, which call); the library's, where it waits.
        ours = [f for f in stack if "/site-packages/" not in f.filename][-8:]
        return "".join(traceback.format_list(ours)) + "  ...\n" + "".join(traceback.format_list(stack[-4:]))

    def _stream_consumers(self) -> dict[str, str]:
        """consumer (as `_stream_positions` names it) → the table whose stream it reads."""
        consumers = {}
        for fn, _, props in self._event_sources("DynamoDB"):
            logical = props["Stream"]["Fn::GetAtt"][0]
            consumers[f"{fn.logical_id}|{self.aws.attrs[(logical, 'StreamArn')]}"] = self.aws.names[logical]
        return consumers

    def _stream_ends(self) -> dict[str, tuple[int, int]] | None:
        """consumer → (its stream's first sequence number, its last record's now: one below if none)."""
        try:
            from moto.dynamodb.models import dynamodb_backends
        except ImportError:  # pragma: no cover - moto is a dev dependency, always there for the local runtime
            return None
        tables = dynamodb_backends[ACCOUNT][REGION].tables
        ends = {}
        for consumer, table_name in self._stream_consumers().items():
            table = tables.get(table_name)
            shard = getattr(table, "stream_shard", None)
            if shard is None:
                return None
            ends[consumer] = (shard.starting_sequence_number, shard.starting_sequence_number + len(shard.items) - 1)
        return ends

    def _read_past(self, ends: dict[str, tuple[int, int]]) -> bool:
        for consumer, (first, end) in ends.items():
            kind, position = self._stream_positions.get(consumer, ("TRIM_HORIZON", ""))
            if not position:
                if end >= first:  # records there, none read yet
                    return False
                continue
            # AFTER n: read through n; AT n: n is being retried, so only n - 1 is behind it.
            through = int(position) if kind == "AFTER_SEQUENCE_NUMBER" else int(position) - 1
            if through < end:
                return False
        return True

    def _loop(self, name: str, target, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                busy = target()
            except Exception:  # noqa: BLE001 - a poller must survive a bad record; the error is kept
                if not self._stop.is_set():  # a pass cut short by the runtime stopping is no error
                    self.errors.append(traceback.format_exc())
                busy = False
            with self._passed:
                self.passes[name] = self.passes.get(name, 0) + 1
                if not busy:
                    self._idle_passes[name] = self._idle_passes.get(name, 0) + 1
                self._passed.notify_all()
            wake = self._wake[name]
            if not busy and not wake.is_set():
                wake.wait(interval_s)
            wake.clear()

    def _event_sources(self, kind: str):
        """(function, event name, properties as the template gives them) of every event of this type."""
        for fn in self.functions.values():
            for name, event in fn.events.items():
                if event.get("Type") == kind:
                    yield fn, name, event["Properties"]

    # --- SQS -------------------------------------------------------------------------------------
    def poll_queues(self) -> bool:
        busy = False
        for fn, _, props in self._event_sources("SQS"):
            with fn.acting():  # the event source mapping receives and deletes under the function's role
                busy |= self._poll_queue(fn, props)
        return busy

    def _poll_queue(self, fn: LocalFunction, props: dict) -> bool:
        sqs = self.aws.client("sqs")
        logical = props["Queue"]["Fn::GetAtt"][0]
        url, arn = self.aws.names[logical], self.aws.attrs[(logical, "Arn")]
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(int(props.get("BatchSize", 10)), 10),
                                  AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=0)
        messages = got.get("Messages") or []
        if not messages:
            return False
        event = {"Records": [_sqs_record(m, arn) for m in messages]}
        try:
            result = fn.invoke(event)
        except Exception:  # noqa: BLE001 - like Lambda: the whole batch returns after its visibility timeout
            self.errors.append(f"{fn.logical_id}: " + traceback.format_exc())
            return True
        failed = _batch_item_failures(result, props, [m["MessageId"] for m in messages])
        if failed is None:  # a malformed partial response fails the whole batch
            self.errors.append(f"{fn.logical_id}: invalid batchItemFailures {result!r}: the batch is retried")
            return True
        done = [m for m in messages if m["MessageId"] not in failed]
        for i in range(0, len(done), 10):
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done[i:i + 10])])
        return True

    # --- DynamoDB streams -------------------------------------------------------------------------
    def poll_streams(self) -> bool:
        busy = False
        for fn, _, props in self._event_sources("DynamoDB"):
            with fn.acting():  # stream records are read under the function's role, as Lambda does
                busy |= self._poll_stream(fn, props)
        return busy

    def _poll_stream(self, fn: LocalFunction, props: dict) -> bool:
        """One batch for one consumer: delivered, or retried from its checkpoint on the next pass (a failed
        attempt waits a poll interval) until MaximumRetryAttempts, when the batch is skipped."""
        streams = self.aws.client("dynamodbstreams")
        logical = props["Stream"]["Fn::GetAtt"][0]
        stream_arn = self.aws.attrs[(logical, "StreamArn")]
        consumer = f"{fn.logical_id}|{stream_arn}"  # a function may read several streams
        shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        kind, position = self._stream_positions.get(consumer, ("TRIM_HORIZON", ""))
        kwargs = {"ShardIteratorType": kind, **({"SequenceNumber": position} if position else {})}
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, **kwargs)["ShardIterator"]
        got = streams.get_records(ShardIterator=iterator, Limit=int(props.get("BatchSize", 100)))
        _release_iterators(iterator, got.get("NextShardIterator"))
        records = got["Records"]
        if not records:
            return False
        for record in records:
            record["eventSourceARN"] = stream_arn
        checkpoint, raised = self._deliver_stream_batch(fn, props, records)
        last = records[-1]["dynamodb"]["SequenceNumber"]
        if checkpoint is None:
            self._stream_positions[consumer] = ("AFTER_SEQUENCE_NUMBER", last)
            self._stream_failures.pop(consumer, None)
            return True
        previous = self._stream_failures.get(consumer)
        failures = previous[1] + 1 if previous and previous[0] == checkpoint else 1
        retries = int(props.get("MaximumRetryAttempts", DEFAULT_STREAM_RETRIES))
        if 0 <= retries < failures:  # -1: retry until it succeeds, as AWS does until the record expires
            discarded = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= int(checkpoint)]
            self.errors.append(f"{fn.logical_id}: gave up on {len(discarded)} stream record(s) after {retries} retries")
            self._park(fn, props, shard, discarded, failures, raised)
            self._stream_positions[consumer] = ("AFTER_SEQUENCE_NUMBER", last)
            self._stream_failures.pop(consumer, None)
            return True
        self._stream_positions[consumer] = ("AT_SEQUENCE_NUMBER", checkpoint)
        self._stream_failures[consumer] = (checkpoint, failures)
        return False

    def _deliver_stream_batch(self, fn: LocalFunction, props: dict, records: list) -> tuple[str | None, bool]:
        """Invoke once: (None if the batch is done, else the sequence number to retry from; whether it raised)."""
        sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
        try:
            result = fn.invoke({"Records": stream_records(records)})
        except Exception:  # noqa: BLE001 - the whole batch is retried, like Lambda
            self.errors.append(f"{fn.logical_id}: " + traceback.format_exc())
            return sequence[0], True
        failed = _batch_item_failures(result, props, sequence)
        if failed is None:
            self.errors.append(f"{fn.logical_id}: invalid batchItemFailures {result!r}: the batch is retried")
            return sequence[0], False
        # Lambda checkpoints at the lowest failed sequence number and retries from there.
        return (min(failed, key=int) if failed else None), False

    def _park(self, fn: LocalFunction, props: dict, shard: str, records: list, attempts: int, raised: bool) -> None:
        """Hand a discarded batch to the event source's on-failure destination as Lambda does for an S3
        destination: the invocation record with the whole event as its payload, written under the function's
        role (the caller acts as `fn`) to `aws/lambda/<mapping UUID>/<shard>/YYYY/MM/DD/<time>-<UUID>`."""
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if destination is None:
            return  # no destination: the records are lost, as on AWS
        arn = str(self.aws.resolve(destination, {}))
        if not arn.startswith("arn:aws:s3:::"):
            self.errors.append(f"{fn.logical_id}: on-failure destination {arn} is not an S3 bucket; only S3 "
                               "destinations receive the records, so only they are delivered locally")
            return
        bucket, now = arn.removeprefix("arn:aws:s3:::"), clock.now()
        stream_arn = records[0]["eventSourceARN"]
        event_source = f"{fn.arn}|{stream_arn}"  # one mapping per (function, stream), its id stable across runs
        mapping = uuid.uuid5(uuid.NAMESPACE_URL, event_source)
        key = f"aws/lambda/{mapping}/{shard}/{now:%Y/%m/%d}/{now:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"
        arrivals = [_utc(r["dynamodb"].get("ApproximateCreationDateTime")) for r in records]
        record = {
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": fn.arn,
                               "condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                **({"functionError": "Unhandled"} if raised else {})},
            "version": "1.0",
            "timestamp": now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard, "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrivals[0], "approximateArrivalOfLastRecord": arrivals[-1],
                "batchSize": len(records), "streamArn": stream_arn},
            "payload": {"Records": stream_records(records)},
        }
        s3 = self.aws.client("s3")
        try:
            s3.head_bucket(Bucket=bucket)  # Lambda checks the destination first (hence s3:ListBucket)
            s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(record).encode(), ContentType="application/json")
        except Exception:  # noqa: BLE001 - like Lambda, a destination that refuses loses the batch; say so
            self.errors.append(f"{fn.logical_id}: could not park {len(records)} record(s) in {bucket}: "
                               + traceback.format_exc())

    # --- schedules ----------------------------------------------------------------------------------
    def _create_template_schedules(self) -> None:
        """SAM's ScheduleV2 events become real schedules in the embedded Scheduler, named as SAM names
        them (Name, else the function's logical id followed by the event's)."""
        scheduler = self.aws.client("scheduler")
        for fn, event_name, raw in self._event_sources("ScheduleV2"):
            props = self.aws.resolve(raw, {})
            name = props.get("Name") or fn.logical_id + event_name
            if props.get("OmitName"):
                name = self.aws.physical(fn.logical_id + event_name)  # CloudFormation would generate one
            target = {"Arn": fn.arn, "RoleArn": props.get("RoleArn") or "arn:aws:iam::123456789012:role/scheduler"}
            if "Input" in props:  # SAM's Input is a JSON string; pass it as it is
                payload = props["Input"]
                target["Input"] = payload if isinstance(payload, str) else json.dumps(payload)
            optional = {k: props[k] for k in ("ScheduleExpressionTimezone", "StartDate", "EndDate", "Description",
                                              "State") if k in props}
            scheduler.create_schedule(
                Name=name, GroupName=props.get("GroupName", "default"), ScheduleExpression=props["ScheduleExpression"],
                FlexibleTimeWindow=props.get("FlexibleTimeWindow") or {"Mode": "OFF"}, Target=target, **optional)

    def poll_schedules(self) -> bool:
        scheduler = self.aws.client("scheduler")
        now = clock.now()
        by_arn = {fn.arn: fn for fn in self.functions.values()}
        fired, listed = False, set()
        for summary in _all_schedules(scheduler):
            # Another runtime in this process shares moto's Scheduler: its schedules are not ours to fire
            # (nor to delete after completion).
            arn = (summary.get("Target") or {}).get("Arn")
            target = by_arn.get(arn) if arn is not None else None
            if target is None:
                continue
            try:
                detail = scheduler.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
            except scheduler.exceptions.ResourceNotFoundException:
                continue  # deleted since the listing
            # The creation date tells a schedule deleted and made again under its name from the old one.
            key = f"{summary['GroupName']}/{summary['Name']}@{detail.get('CreationDate')}"
            listed.add(key)
            fired |= self._poll_schedule(scheduler, detail, key, target, now)
        for gone in self._schedules.keys() - listed:
            del self._schedules[gone]
        return fired

    def _poll_schedule(self, scheduler, detail: dict, key: str, target: LocalFunction, now: datetime) -> bool:
        from shared.scheduling.expressions import ScheduleExpressionError, parse

        if detail.get("State", "ENABLED") != "ENABLED":
            return False
        first_seen, since = self._schedules.setdefault(key, [now, now])
        try:
            schedule = parse(detail["ScheduleExpression"], detail.get("ScheduleExpressionTimezone") or "UTC")
        except ScheduleExpressionError as exc:
            self.errors.append(f"{key}: {exc}")
            return False
        # rate() counts from its first sighting. A cron gets no such bound: the shared clock may be set back
        # before the schedule was made (a test, /_local/clock), and it then fires as an at() already does.
        start = _aware(detail.get("StartDate")) or (first_seen if schedule.kind == "rate" else None)
        recurring = schedule.kind != "at"
        limit = CATCH_UP_LIMIT if recurring else 100
        due = schedule.due(since, now, start=start, end=_aware(detail.get("EndDate")), limit=limit)
        self._schedules[key][1] = due[-1] if len(due) == limit else now  # a full page: resume after its last
        # A jump of the shared clock (a test moving a day, /_local/clock) makes many occurrences of a
        # recurring schedule due at once; AWS's clock never jumps. Our recurring targets are sweepers that
        # read what is due, so the jump fires the last occurrence alone: 720 fires of a minute's sweeper
        # after a 12-hour jump took minutes of a suite worker and added nothing.
        for _ in due[-1:] if recurring else due:
            self._fire(target, detail, key)
        if due and schedule.kind == "at" and detail.get("ActionAfterCompletion") == "DELETE":
            scheduler.delete_schedule(Name=detail["Name"], GroupName=detail["GroupName"])
        return bool(due)

    def _fire(self, fn: LocalFunction, detail: dict, key: str) -> None:
        raw = detail["Target"].get("Input")
        if raw is None:  # no Input: Scheduler sends its own notification, naming the schedule
            from shared.local.sample_events import schedule_event

            arn = detail.get("Arn") or f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{detail['GroupName']}/{detail['Name']}"
            event = schedule_event(arn, clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), str(uuid.uuid4()))
        else:
            event = json.loads(raw)
        try:
            fn.invoke(event)
        except Exception:  # noqa: BLE001 - Scheduler retries per its policy; locally we record it
            self.errors.append(f"{key}: " + traceback.format_exc())

    # --- TTL -------------------------------------------------------------------------------------------
    def sweep_ttl(self) -> bool:
        """Delete items whose TTL attribute has passed on the shared clock (moto never expires items)."""
        attr = self.aws.attrs.get((self.table, "TtlAttribute"))
        if not attr or self.table not in self.aws.names:
            return False
        ddb, name = self.aws.client("dynamodb"), self.aws.names[self.table]
        keys = self._key_attributes(ddb, name)
        expired_by_now = {"ConditionExpression": "#t <= :now", "ExpressionAttributeNames": {"#t": attr},
                          "ExpressionAttributeValues": {":now": {"N": str(clock.now_s())}}}
        kwargs = {"TableName": name, "FilterExpression": expired_by_now["ConditionExpression"],
                  "ProjectionExpression": ", ".join(f"#k{i}" for i in range(len(keys))),
                  "ExpressionAttributeNames": {"#t": attr, **{f"#k{i}": k for i, k in enumerate(keys)}},
                  "ExpressionAttributeValues": expired_by_now["ExpressionAttributeValues"]}
        expired = _expired_in_moto(name, attr, keys, clock.now_s())
        while expired is None:  # not moto in this process: scan, as before
            page = ddb.scan(**kwargs)
            found = page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                expired = found
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        for key in expired:
            try:
                # Conditional, as TTL deletes are: an item whose expiry was moved since the scan stays.
                ddb.delete_item(TableName=name, Key=key, **expired_by_now)
            except ddb.exceptions.ConditionalCheckFailedException:
                pass
        return False

    def _key_attributes(self, ddb, table_name: str) -> list[str]:
        if table_name not in self._table_keys:
            schema = ddb.describe_table(TableName=table_name)["Table"]["KeySchema"]
            self._table_keys[table_name] = [k["AttributeName"] for k in schema]
        return self._table_keys[table_name]


CATCH_UP_LIMIT = 10_000  # occurrences of a recurring schedule looked at in one pass (then resumed from the last)


def _expired_in_moto(table_name: str, attr: str, keys: list[str], now_s: int) -> list[dict] | None:
    """The keys of the items whose `attr` has passed, read from moto's own table in this process (None when
    moto is not here). A Scan through the API twice a second serialised the whole table each time: in a
    suite worker, whose table holds every test's items, that took a good part of the CPU (and moto's lock)."""
    try:
        from shared.local import moto_txn
    except ImportError:  # pragma: no cover - moto is a dev dependency, always there for the local runtime
        return None

    def expired(attrs: dict) -> dict | None:
        ttl = attrs.get(attr)
        if ttl is None or ttl.type != "N" or float(ttl.value) > now_s:
            return None
        return {k: attrs[k].to_json() for k in keys}

    return moto_txn.picked(table_name, expired)


def _batch_item_failures(result, props: dict, identifiers: list[str]) -> set[str] | None:
    """The items a partial batch response names as failed, read as Lambda reads it: only when the event
    source has ReportBatchItemFailures; an empty, null or unknown itemIdentifier fails the whole batch (None)."""
    if "ReportBatchItemFailures" not in (props.get("FunctionResponseTypes") or []):
        return set()
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return set()
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in identifiers:
            return None
        failed.add(identifier)
    return failed


def _release_iterators(*iterators: str | None) -> None:
    """moto keeps every shard iterator it hands out, forever: at two per poll, a stream consumer grew the
    process by ~100 MB an hour. The embedded AWS runs in this process, so drop the ones used up here."""
    try:
        from moto.dynamodbstreams.models import dynamodbstreams_backends
    except ImportError:  # pragma: no cover - moto is a dev dependency, always there for the local runtime
        return
    kept = dynamodbstreams_backends[ACCOUNT][REGION].shard_iterators
    for iterator in iterators:
        if iterator is not None:
            kept.pop(iterator, None)


def _all_schedules(scheduler):
    token = None
    while True:
        page = scheduler.list_schedules(**({"NextToken": token} if token else {}))
        yield from page.get("Schedules", [])
        token = page.get("NextToken")
        if not token:
            return


def _aware(value):
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sqs_record(message: dict, queue_arn: str) -> dict:
    return {
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": message.get("Attributes", {}), "messageAttributes": {
            k: {"stringValue": v.get("StringValue"), "dataType": v.get("DataType")}
            for k, v in (message.get("MessageAttributes") or {}).items()},
        "md5OfBody": message.get("MD5OfBody"), "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _utc(when) -> str | None:
    """A record's ApproximateCreationDateTime as the invocation record writes it (`2019-11-14T00:13:19Z`)."""
    if when is None:
        return None
    moment = when if isinstance(when, datetime) else datetime.fromtimestamp(float(when), UTC)
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stream_records(records: list) -> list:
    """Stream records as Lambda delivers them: JSON (datetimes as epoch seconds)."""
    return json.loads(json.dumps(records, default=lambda v: v.timestamp() if isinstance(v, datetime) else str(v)))
