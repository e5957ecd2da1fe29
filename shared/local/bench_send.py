"""Bench part: the send pipeline in one process, on a runtime of its own with the provider fakes (the real
Twilio and SendGrid SDKs over loopback): createCommunication's service call for each message, then the
sender function invoked with the queue's messages in batches of 10, as Lambda's event source mapping
hands them over (its receive and delete are Lambda's, not the function's, and are not counted).

Printed: messages per second through both (wall time on moto: how long the local runtime takes, not
AWS), AWS calls per message by service and operation, and DynamoDB items written per message. The goal
is at most 3 AWS calls per message on the send path: the sender takes the attempt and records the
outcome (two UpdateItems on the communication), reads the tenant's sending settings once per batch and
books each sender's sends once per batch (a PutItem on its bucket; a GetItem when this process has not
written it last).
"""

from __future__ import annotations

import json
import time
from collections import Counter

from shared.local.bench_common import counting, table

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


def _create(runtime, scope, n: int) -> tuple[float, Counter]:
    from shared.communications import service
    from shared.communications.models.changes import CommunicationCreate

    started = time.perf_counter()
    with counting() as tally, runtime.functions["CreateCommunicationFunction"].acting():
        for i in range(n):
            channel = "email" if i % 4 == 3 else "sms"
            fields = ({"to_email": f"bench{i}@example.com", "from_email": "bench@example.com", "subject": "Bench"}
                      if channel == "email" else {"to_number": f"+1415555{i % 10000:04d}", "from_number": "+15005550006"})
            service.create_communication(scope, CommunicationCreate.model_validate({"channel": channel, "content": f"Bench message {i}", **fields}))
    return time.perf_counter() - started, tally.aws


def _send(runtime) -> tuple[float, Counter, int]:
    sqs, url = runtime.aws.client("sqs"), runtime.aws.names["SendQueue"]
    sender = runtime.functions["SendCommunicationsFunction"]
    seconds, calls, handled = 0.0, Counter[str](), 0
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
        calls += tally.aws
        handled += len(got) - len(failed)
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(got)])


def measure(n: int = MESSAGES) -> dict:
    runtime = _runtime()
    try:
        _, scope = _tenant()
        create_s, create_calls = _create(runtime, scope, n)
        send_s, send_calls, handled = _send(runtime)
        reached = len(runtime.provider_fakes.outbox())
        return {"n": n, "create": (create_s, create_calls), "send": (send_s, send_calls), "handled": handled,
                "reached": reached}
    finally:
        runtime.stop()


def _row(name: str, n: int, seconds: float, calls: Counter) -> list[str]:
    total = sum(calls.values())
    written = sum(_ITEMS_WRITTEN.get(k, 0) * v for k, v in calls.items())
    by = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(calls.items()))
    return [name, f"{n:,}", f"{seconds:.1f}", f"{n / max(seconds, 1e-9):,.0f}", f"{total / n:.2f}",
            f"{written / n:.2f}", by]


def report(result: dict) -> list[str]:
    n = result["n"]
    send_s, send_calls = result["send"]
    rows = [_row("createCommunication (service)", n, *result["create"]), _row("sender (function)", n, send_s, send_calls)]
    print(table(["path", "messages", "seconds", "msgs/s", "AWS calls/msg", "items written/msg", "by call, per message"],
                rows))
    print(json.dumps({"sent_without_failure": result["handled"], "reached_the_fakes": result["reached"]}))
    per_message = sum(send_calls.values()) / n
    return [f"the send path made {per_message:.2f} AWS calls per message (goal {GOAL})"] if per_message > GOAL else []


def main(quick: bool = False) -> list[str]:
    return report(measure(QUICK_MESSAGES if quick else MESSAGES))


if __name__ == "__main__":
    main(quick=True)
