"""Event sources, as Lambda's pollers and EventBridge Scheduler would drive the functions:
SQS (batches, partial batch failures, visibility and redrive left to SQS), DynamoDB streams (in
order, retried, then skipped), due schedules (fired on the shared clock), and a TTL sweeper."""

from __future__ import annotations

import json
import threading
import time
import traceback
from datetime import UTC, datetime

from shared import clock
from shared.local.aws import REGION
from shared.local.lambda_runtime import LocalFunction


class Pollers:
    def __init__(self, aws, template: dict, functions: dict[str, LocalFunction], table_logical_id: str = "Table"):
        self.aws, self.template, self.functions = aws, template, functions
        self.table = table_logical_id
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stream_positions: dict[str, str] = {}
        self._schedule_seen: dict[str, datetime] = {}
        self.errors: list[str] = []

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self, interval_s: float = 0.1) -> Pollers:
        self._create_template_schedules()
        for name, target in (("sqs", self.poll_queues), ("streams", self.poll_streams),
                             ("schedules", self.poll_schedules), ("ttl", self.sweep_ttl)):
            t = threading.Thread(target=self._loop, args=(target, interval_s), name=f"poller-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)

    def _loop(self, target, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                busy = target()
            except Exception:  # noqa: BLE001 - a poller must survive a bad record; the error is kept
                self.errors.append(traceback.format_exc())
                busy = False
            if not busy:
                self._stop.wait(interval_s)

    def _event_sources(self, kind: str):
        for fn in self.functions.values():
            for event in fn.events.values():
                if event.get("Type") == kind:
                    yield fn, event["Properties"]

    # --- SQS -------------------------------------------------------------------------------------
    def poll_queues(self) -> bool:
        busy = False
        for fn, props in self._event_sources("SQS"):
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
            self.errors.append(traceback.format_exc())
            return True
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])} \
            if "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []) else set()
        done = [m for m in messages if m["MessageId"] not in failed]
        for i in range(0, len(done), 10):
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done[i:i + 10])])
        return True

    # --- DynamoDB streams -------------------------------------------------------------------------
    def poll_streams(self) -> bool:
        busy = False
        for fn, props in self._event_sources("DynamoDB"):
            busy |= self._poll_stream(fn, props)
        return busy

    def _poll_stream(self, fn: LocalFunction, props: dict) -> bool:
        streams = self.aws.client("dynamodbstreams")
        logical = props["Stream"]["Fn::GetAtt"][0]
        stream_arn = self.aws.attrs[(logical, "StreamArn")]
        shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
        position = self._stream_positions.get(fn.logical_id)
        kwargs = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position} if position \
            else {"ShardIteratorType": "TRIM_HORIZON"}
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, **kwargs)["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=int(props.get("BatchSize", 100)))["Records"]
        if not records:
            return False
        for record in records:
            record["eventSourceARN"] = stream_arn
        self._deliver_stream_batch(fn, props, records)
        self._stream_positions[fn.logical_id] = records[-1]["dynamodb"]["SequenceNumber"]
        return True

    def _deliver_stream_batch(self, fn: LocalFunction, props: dict, records: list) -> None:
        retries = int(props.get("MaximumRetryAttempts", 3))
        pending = records
        for _attempt in range(retries + 1):
            try:
                result = fn.invoke({"Records": _jsonable(pending)})
            except Exception:  # noqa: BLE001 - retried, like Lambda, up to MaximumRetryAttempts
                self.errors.append(traceback.format_exc())
                continue
            failures = (result or {}).get("batchItemFailures") or []
            if not failures:
                return
            first = failures[0]["itemIdentifier"]  # retry from the first failed sequence number
            pending = [r for r in pending if r["dynamodb"]["SequenceNumber"] >= first]
        self.errors.append(f"{fn.logical_id}: gave up on {len(pending)} stream record(s) after {retries} retries")

    # --- schedules ----------------------------------------------------------------------------------
    def _create_template_schedules(self) -> None:
        """SAM's ScheduleV2 events become real schedules in the embedded Scheduler."""
        scheduler = self.aws.client("scheduler")
        for fn, props in self._event_sources("ScheduleV2"):
            group = self.aws.resolve(props.get("GroupName", "default"), {})
            scheduler.create_schedule(
                Name=f"{fn.logical_id}-schedule", GroupName=group, ScheduleExpression=props["ScheduleExpression"],
                ScheduleExpressionTimezone=props.get("ScheduleExpressionTimezone", "UTC"),
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": fn.arn, "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
                        "Input": json.dumps(props.get("Input") or {})})

    def poll_schedules(self) -> bool:
        from shared.scheduling.expressions import ScheduleExpressionError, parse

        scheduler = self.aws.client("scheduler")
        now = clock.now()
        by_arn = {fn.arn: fn for fn in self.functions.values()}
        fired = False
        for summary in _all_schedules(scheduler):
            key = f"{summary['GroupName']}/{summary['Name']}"
            detail = scheduler.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
            if detail.get("State", "ENABLED") != "ENABLED":
                continue
            first_seen = self._schedule_seen.setdefault(key, now)
            try:
                schedule = parse(detail["ScheduleExpression"], detail.get("ScheduleExpressionTimezone") or "UTC")
            except ScheduleExpressionError as exc:
                self.errors.append(f"{key}: {exc}")
                continue
            start = _aware(detail.get("StartDate")) or first_seen
            since = self._schedule_seen.get(key + "#checked", first_seen)
            due = schedule.due(since, now, start=start, end=_aware(detail.get("EndDate")), limit=100)
            self._schedule_seen[key + "#checked"] = now
            target = by_arn.get(detail["Target"]["Arn"])
            for _ in due:
                if target is not None:
                    self._fire(target, detail, key)
                    fired = True
            if due and schedule.kind == "at" and detail.get("ActionAfterCompletion") == "DELETE":
                scheduler.delete_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
        return fired

    def _fire(self, fn: LocalFunction, detail: dict, key: str) -> None:
        raw = detail["Target"].get("Input") or "{}"
        try:
            fn.invoke(json.loads(raw))
        except Exception:  # noqa: BLE001 - Scheduler retries per its policy; locally we record it
            self.errors.append(f"{key}: " + traceback.format_exc())

    # --- TTL -------------------------------------------------------------------------------------------
    def sweep_ttl(self) -> bool:
        """Delete items whose TTL attribute has passed on the shared clock (moto never expires items)."""
        attr = self.aws.attrs.get((self.table, "TtlAttribute"))
        if not attr or self.table not in self.aws.names:
            return False
        ddb, name = self.aws.client("dynamodb"), self.aws.names[self.table]
        now = str(clock.now_s())
        kwargs = {"TableName": name, "FilterExpression": "#t <= :now",
                  "ExpressionAttributeNames": {"#t": attr}, "ExpressionAttributeValues": {":now": {"N": now}},
                  "ProjectionExpression": "PK, SK"}
        expired = []
        while True:
            page = ddb.scan(**kwargs)
            expired += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        for key in expired:
            ddb.delete_item(TableName=name, Key=key)
        time.sleep(0.5)  # a sweep a second or so is plenty; items expire on minute scales
        return False


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


def _jsonable(records: list) -> list:
    """Stream records as Lambda delivers them: JSON (datetimes as epoch seconds)."""
    return json.loads(json.dumps(records, default=lambda v: v.timestamp() if isinstance(v, datetime) else str(v)))
