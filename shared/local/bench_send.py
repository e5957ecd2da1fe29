"""Bench part: the send pipeline in one process, on a runtime of its own with the provider fakes (the real
Twilio and SendGrid SDKs over loopback): createCommunication's service call for each message, then the
sender function invoked with the queue's messages in batches of 10, as Lambda's event source mapping
hands them over (its receive and delete are Lambda's, not the function's, and are not counted).

Then one delivery report per message through the callback functions, and the table's stream through
the stream consumer, so that every path a message takes is counted.

Printed: messages per second through each (wall time on moto: how long the local runtime takes, not
AWS), AWS calls per message by service and operation, DynamoDB items written and read per message, and
the capacity model (README "Capacity model") computed from those figures. The goal
is at most 3 AWS calls per message on the send path: the sender takes the attempt and records the
outcome (two UpdateItems on the communication), reads the tenant's sending settings once per batch and
books each sender's sends once per batch (a PutItem on its bucket; a GetItem when this process has not
written it last).
"""

from __future__ import annotations

import json
import time

from shared.local.bench_common import Tally, counting, table

MESSAGES, QUICK_MESSAGES = 500, 100
GOAL = 3.0
# DynamoDB items each write call puts, updates or deletes (a create is the communication and its audit entry).
_ITEMS_WRITTEN = {"dynamodb:UpdateItem": 1, "dynamodb:PutItem": 1, "dynamodb:DeleteItem": 1,
                  "dynamodb:TransactWriteItems": 2}


def _runtime():
    from shared.local.aws import EmbeddedAws
    from shared.local.runtime import Runtime

    return Runtime(fakes=True, pollers=False, aws=EmbeddedAws(stack="bench-send")).start()


def _tenant() -> tuple[str, object]:
    from shared.clients import store as clients
    from shared.core.actor import Actor, Scope
    from shared.ids import new_id
    from shared.settings import store as settings

    tenant = clients.create(clients.Client(id=new_id(), name=f"Bench sends {new_id()}", status="active",
                                           subscription_tier="premium", created_by="bench")).id
    settings.put("client", tenant, None, "messaging.quiet_hours", {}, description=None, actor=None,
                 operation="setSetting")  # a bench at night measures sends, not deferrals
    # Declared senders, paced (one booking per sender per batch) at rates the bench does not reach.
    settings.put("client", tenant, None, "messaging.senders", [
        {"address": "+15005550006", "sender_class": "short_code", "rate": 1000},
        {"address": "bench@example.com", "sender_class": "email", "rate": 1000}], description=None, actor=None,
        operation="setSetting")
    return tenant, Scope(Actor(new_id(), "admin", tenant), tenant)


def _create(runtime, scope, n: int) -> tuple[float, Tally]:
    from shared.communications import service
    from shared.communications.models.changes import CommunicationCreate

    started = time.perf_counter()
    with counting() as tally, runtime.functions["CreateCommunicationFunction"].acting():
        for i in range(n):
            channel = "email" if i % 4 == 3 else "sms"
            fields = ({"to_email": f"bench{i}@example.com", "from_email": "bench@example.com", "subject": "Bench"}
                      if channel == "email" else {"to_number": f"+1415555{i % 10000:04d}", "from_number": "+15005550006"})
            service.create_communication(scope, CommunicationCreate.model_validate({"channel": channel, "content": f"Bench message {i}", **fields}))
    return time.perf_counter() - started, tally


def _send(runtime) -> tuple[float, Tally, int]:
    sqs, url = runtime.aws.client("sqs"), runtime.aws.names["SendQueue"]
    sender = runtime.functions["SendCommunicationsFunction"]
    seconds, calls, handled = 0.0, Tally(), 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not got:
            return seconds, calls, handled
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": m.get("Attributes", {}), "messageAttributes": {},
                              "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:0:bench"}
                             for m in got]}
        started = time.perf_counter()
        with counting() as tally:
            failed = sender.invoke(event)["batchItemFailures"]
        seconds += time.perf_counter() - started
        calls.add(tally)
        handled += len(got) - len(failed)
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(got)])


def _callbacks(runtime) -> tuple[float, Tally]:
    """One delivery report per message, as the providers post them: Twilio's `delivered` status callback
    (signed, to ReceiveTwilioStatusFunction) for each text, SendGrid's `delivered` event for each email,
    100 events to a post (ReceiveSendgridEventsFunction). Invoked here, in this thread, to be counted."""
    from shared.local import delivery_reports as reports

    fakes = runtime.provider_fakes
    posts = [reports.twilio_status(fakes, sid, "delivered") for sid, entry in list(fakes.state.messages.items())
             if entry.get("callback")]
    posts += reports.sendgrid_events(fakes, runtime.url, [reports.sendgrid_event(fakes, e["id"], "delivered")
                                                          for e in fakes.outbox("sendgrid")])
    seconds, tally = 0.0, Tally()
    for post in posts:
        started = time.perf_counter()
        with counting() as got:
            answered = reports.deliver(runtime, post)
        seconds += time.perf_counter() - started
        if not 200 <= answered < 300:
            raise RuntimeError(f"{post.function} answered {answered}")
        tally.add(got)
    return seconds, tally


def _stream(runtime, iterator: str, counted: bool) -> tuple[float, Tally, str]:
    """The table's stream records from `iterator` on, handed to the stream consumer 100 at a time as
    Lambda's event source mapping does (its stream reads are Lambda's and are not counted), until the
    stream has nothing more (the consumer's own writes are records too); the iterator to go on from."""
    from shared.local.pollers import stream_records

    streams, arn = runtime.aws.client("dynamodbstreams"), runtime.aws.attrs[("Table", "StreamArn")]
    consumer = runtime.functions["ProjectChangesFunction"]
    seconds, tally = 0.0, Tally()
    while True:
        got = streams.get_records(ShardIterator=iterator, Limit=100)
        iterator = got["NextShardIterator"]
        if not got["Records"]:
            return seconds, tally, iterator
        for record in got["Records"]:
            record["eventSourceARN"] = arn
        started = time.perf_counter()
        with counting() as part:
            failed = consumer.invoke({"Records": stream_records(got["Records"])})["batchItemFailures"]
        seconds += time.perf_counter() - started
        if failed:
            raise RuntimeError(f"the stream consumer failed {len(failed)} records")
        if counted:
            tally.add(part)


def _stream_start(runtime) -> str:
    streams, arn = runtime.aws.client("dynamodbstreams"), runtime.aws.attrs[("Table", "StreamArn")]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]


def measure(n: int = MESSAGES) -> dict:
    runtime = _runtime()
    try:
        _, scope = _tenant()
        _, _, iterator = _stream(runtime, _stream_start(runtime), counted=False)  # the tenant's set-up
        create_s, create_calls = _create(runtime, scope, n)
        send_s, send_calls, handled = _send(runtime)
        reached = len(runtime.provider_fakes.outbox())
        callback_s, callbacks = _callbacks(runtime)
        stream_s, stream, _ = _stream(runtime, iterator, counted=True)
        return {"n": n, "create": (create_s, create_calls), "send": (send_s, send_calls), "handled": handled,
                "reached": reached, "callbacks": (callback_s, callbacks), "stream": (stream_s, stream),
                "items": _items(runtime)}
    finally:
        runtime.stop()


def _items(runtime) -> dict:
    """Of the items as they are at the end, by kind: how many, their mean size in bytes (as DynamoDB sizes
    them: moto's own sizing) and the mean number of indexes (GSIs) each is in: a write to an item costs
    a write unit on each index it is in as well."""
    from shared.local import moto_txn
    from shared.local.bench_common import kind_of

    def facts(attrs: dict) -> tuple[str, int, int]:
        size = sum(len(name.encode()) + value.size() for name, value in attrs.items())
        return kind_of({"PK": {"S": str(attrs["PK"].value)}}), size, sum(1 for a in attrs if a.endswith("PK") and a != "PK")

    found: dict[str, list[int]] = {}
    for kind, size, indexes in moto_txn.picked(runtime.aws.names["Table"], facts) or []:
        entry = found.setdefault(kind, [0, 0, 0])
        entry[0], entry[1], entry[2] = entry[0] + 1, entry[1] + size, entry[2] + indexes
    return {kind: {"count": n, "bytes": size / n, "indexes": indexes / n} for kind, (n, size, indexes) in found.items()}


def _row(name: str, n: int, seconds: float, tally: Tally) -> list[str]:
    total = sum(tally.aws.values())
    by = ", ".join(f"{k.split(':', 1)[1]} {v / n:.2f}" for k, v in sorted(tally.aws.items()))
    return [name, f"{n:,}", f"{seconds:.1f}", f"{n / max(seconds, 1e-9):,.0f}", f"{total / n:.2f}",
            f"{sum(tally.written.values()) / n:.2f}", f"{tally.items / n:.2f}", by]


PATHS = (("create", "createCommunication (service)"), ("send", "sender (function)"),
         ("callbacks", "delivery reports (functions)"), ("stream", "stream consumer (function)"))


def report(result: dict) -> list[str]:
    n = result["n"]
    rows = [_row(title, n, *result[key]) for key, title in PATHS]
    print(table(["path", "messages", "seconds", "msgs/s", "AWS calls/msg", "items written/msg", "items read/msg",
                 "by call, per message"], rows))
    print(json.dumps({"sent_without_failure": result["handled"], "reached_the_fakes": result["reached"]}))
    print()
    print(capacity(result))
    per_message = sum(result["send"][1].aws.values()) / n
    return [f"the send path made {per_message:.2f} AWS calls per message (goal {GOAL})"] if per_message > GOAL else []


# --- the capacity model ----------------------------------------------------------------------------------
# What the product must carry: 1,000 tenants, 1,000,000 members (in all), 500 messages a second sustained.
RATE, TENANTS = 500, 1_000
# Prices, us-east-1, on demand (AWS price lists, 2025-26): DynamoDB per million write / read request units
# (on-demand prices as cut in November 2024), SQS standard per million requests (each 64 KB of a payload
# one request), Lambda per million requests and per GB-second (x86), HTTP API per million requests.
DDB_WRITE, DDB_READ, SQS_REQUEST, LAMBDA_REQUEST, LAMBDA_GB_S, HTTP_API = 0.625, 0.125, 0.40, 0.20, 16.6667, 1.00
# The providers' list prices for the same messages: Twilio US SMS per segment (before carrier fees), SendGrid
# Pro (100,000 emails for $89.95).
TWILIO_SEGMENT, SENDGRID_EMAIL = 0.0083, 0.0009
# Lambda time is not measured here (moto is not DynamoDB); it is modelled: an AWS call from Lambda in its
# region ~8 ms, a provider's API ~250 ms (Twilio's Messages API answers in 150-350 ms), and the sender sends
# a batch's messages one after another.
AWS_CALL_S, PROVIDER_CALL_S = 0.008, 0.25
MEMORY_GB = {"create": 0.512, "send": 0.512, "callbacks": 0.512, "stream": 0.512}  # template.yaml's MemorySize
PARTITION_WRITES, PARTITION_READS = 1_000, 3_000  # units a second one DynamoDB partition (and one item) takes


def _units(result: dict) -> tuple[float, float, dict[str, float]]:
    """Write and read request units per message, and write units per message by kind of item. A write
    costs one unit per KB of the item (its kind's measured mean size), twice inside a transaction, plus
    one for each index the item is in (its kind's measured mean; an update that moves an index key costs
    two there, so this is a floor); a read half a unit per 4 KB (eventually consistent reads)."""
    n, items = result["n"], result["items"]
    by_kind: dict[str, float] = {}
    reads = 0.0
    for key, _ in PATHS:
        tally = result[key][1]
        for (how, kind), count in tally.written.items():
            facts = items.get(kind, {"bytes": 0, "indexes": 0})
            units = max(1, -(-int(facts["bytes"]) // 1024)) * (2 if how == "transaction" else 1) + facts["indexes"]
            by_kind[kind] = by_kind.get(kind, 0.0) + units * count / n
        reads += 0.5 * tally.items / n
    return sum(by_kind.values()), reads, by_kind


# How many items a kind's writes spread over when one tenant sends everything: the hot items.
SPREAD = {"AUDIT": (1, "the tenant's audit day (one partition a day: createCommunication's entries)"),
          "COUNTER#COMMSTATS": (16, "the tenant's communication counter (16 shards)"),
          "COUNTER#COMMDAY": (3, "the tenant's counter of the day (3 shards)"),
          "COUNTER#USAGE": (16, "the tenant's usage counter of the month (16 shards)"),
          "SENDER_BUCKET": (1, "a sender's pacing bucket, if one sender took it all")}


def capacity(result: dict) -> str:
    """The capacity model for RATE messages a second, from this run's measured calls per message."""
    n = result["n"]
    per = {key: result[key][1] for key, _ in PATHS}
    writes, reads, by_kind = _units(result)
    sqs = sum(v for t in per.values() for k, v in t.aws.items() if k.startswith("sqs:")) / n
    sqs += 2 / 10  # Lambda's event source mapping: a ReceiveMessage and a DeleteMessageBatch per batch of 10
    calls = {key: sum(t.aws.values()) / n for key, t in per.items()}
    # Lambda: seconds of execution per message on each path (the sender's provider call included).
    seconds = {key: calls[key] * AWS_CALL_S + (PROVIDER_CALL_S if key == "send" else 0.0) for key in calls}
    concurrency = {key: RATE * s for key, s in seconds.items()}
    invocations = {"create": 1.0, "send": 0.1, "callbacks": 1.0, "stream": 0.01 * 4}  # per message
    comm = result["items"].get("COMM", {"bytes": 0, "indexes": 0})
    lines = [f"Capacity model: {TENANTS:,} tenants, 1,000,000 members, {RATE} messages a second sustained "
             f"(from the {n:,} messages above; a communication item measured at {comm['bytes']:,.0f} bytes, "
             f"in {comm['indexes']:.1f} indexes)"]
    rows = [["DynamoDB write request units / s", f"{RATE * writes:,.0f}",
             f"{RATE * writes / PARTITION_WRITES:,.1f} partitions' worth (1,000 WRU/s each)"],
            ["DynamoDB read request units / s", f"{RATE * reads:,.0f}",
             f"{RATE * reads / PARTITION_READS:,.1f} partitions' worth (3,000 RRU/s each)"],
            ["SQS requests / s", f"{RATE * sqs:,.0f}", "SendQueue: our sends + Lambda's receives and deletes"],
            *[[f"Lambda concurrency: {title}", f"{concurrency[key]:,.0f}",
               f"{seconds[key] * 1000:,.0f} ms a message (modelled)"] for key, title in PATHS]]
    lines.append(table(["figure", "at 500 msg/s", "note"], rows))
    lines.append("write units per message by kind of item: " + ", ".join(
        f"{kind} {units:.2f}" for kind, units in sorted(by_kind.items(), key=lambda kv: -kv[1])))
    hot = [[why, f"{RATE * by_kind.get(kind, 0.0) / spread:,.0f}",
            "OVER a partition's 1,000" if RATE * by_kind.get(kind, 0.0) / spread > PARTITION_WRITES else "ok"]
           for kind, (spread, why) in SPREAD.items()]
    lines.append(table([f"hot items, one tenant sending all {RATE}/s", "WRU/s per item", ""], hot))
    per_million = {
        "DynamoDB writes": writes * DDB_WRITE, "DynamoDB reads": reads * DDB_READ, "SQS": sqs * SQS_REQUEST,
        "Lambda requests": sum(invocations.values()) * LAMBDA_REQUEST,
        "Lambda GB-seconds": sum(seconds[k] * MEMORY_GB[k] for k in seconds) * LAMBDA_GB_S,
        "HTTP API (create + 1 report)": 2 * HTTP_API}
    aws = sum(per_million.values())
    texts = 0.75 * 1_000_000 * TWILIO_SEGMENT + 0.25 * 1_000_000 * SENDGRID_EMAIL  # this run's mix
    lines.append(table(["AWS cost per million messages", "USD"],
                       [*[[k, f"{v:,.2f}"] for k, v in per_million.items()], ["all of AWS", f"{aws:,.2f}"],
                        ["the providers (3 in 4 one-segment texts, 1 in 4 emails)", f"{texts:,.0f}"]]))
    return "\n".join(lines)


def main(quick: bool = False) -> list[str]:
    return report(measure(QUICK_MESSAGES if quick else MESSAGES))


if __name__ == "__main__":
    main(quick=True)
