"""S3 event notifications to SQS, refused as AWS refuses them: unless the queue's policy lets S3 send.

moto 5.2.5's S3 does deliver an object's events to the queues of its bucket's
NotificationConfiguration, in server mode too (moto/s3/notifications.py `send_event`, called from
`put_object` and `complete_multipart_upload`), but it ignores the queue's policy: any bucket reaches any
queue. On AWS the delivery is made by the service principal s3.amazonaws.com and authorised by the queue's
resource policy alone, usually conditioned on aws:SourceArn (the bucket) and aws:SourceAccount. This patch
puts that check in front of moto's delivery; a refused event is dropped (S3 sends asynchronously, and
nothing tells the uploader) and recorded in `refused` for the tests.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

S3_PRINCIPAL = "s3.amazonaws.com"
refused: list[dict] = []  # (queue, bucket) of each event not delivered, newest last
_installed = False


def install() -> None:
    """Wrap moto's S3 → SQS delivery in the queue-policy check (once per process)."""
    global _installed
    if _installed:
        return
    from moto.s3 import notifications

    deliver = notifications._send_sqs_message

    def checked(account_id: str, event_body: Any, queue_name: str, region_name: str) -> None:
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[account_id][region_name].queues.get(queue_name)
        bucket = _bucket_of(event_body)
        if queue is None or bucket is None:
            return  # as moto: a missing queue drops the event
        if not allows(queue.policy, queue.queue_arn, f"arn:aws:s3:::{bucket}", account_id):
            refused.append({"queue": queue.queue_arn, "bucket": bucket})
            return
        deliver(account_id, event_body, queue_name, region_name)

    notifications._send_sqs_message = checked
    _installed = True


def _bucket_of(event_body: Any) -> str | None:
    if "Records" in event_body:
        return event_body["Records"][0]["s3"]["bucket"]["name"]
    return event_body.get("Bucket")  # s3:TestEvent


def allows(policy: str | dict | None, queue_arn: str, bucket_arn: str, account: str) -> bool:
    """Whether a queue policy lets S3 send this bucket's events (an explicit Deny wins, else any Allow).
    A statement with a condition this does not model matches nothing: refused rather than guessed."""
    if not policy:
        return False  # without a policy only the queue's own account's principals may send; S3 is none of them
    document = json.loads(policy) if isinstance(policy, str) else policy
    statements = document.get("Statement") or []
    context = {"aws:sourcearn": bucket_arn, "aws:sourceaccount": account}
    matching = [s for s in (statements if isinstance(statements, list) else [statements])
                if _principal(s) and _listed(s.get("Action"), "sqs:SendMessage") and _listed(s.get("Resource"), queue_arn)
                and _conditions(s.get("Condition") or {}, context)]
    if any(s.get("Effect") == "Deny" for s in matching):
        return False
    return any(s.get("Effect") == "Allow" for s in matching)


def _principal(statement: dict) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    services = principal.get("Service") or []
    return S3_PRINCIPAL in ([services] if isinstance(services, str) else services) or principal.get("AWS") == "*"


def _listed(patterns: Any, value: str) -> bool:
    patterns = [patterns] if isinstance(patterns, str) else (patterns or [])
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in patterns)


_OPERATORS = {
    "StringEquals": lambda value, wanted: value == wanted,
    "ArnEquals": lambda value, wanted: value == wanted,
    "StringLike": lambda value, wanted: fnmatch.fnmatchcase(value, wanted),
    "ArnLike": lambda value, wanted: fnmatch.fnmatchcase(value, wanted),
}


def _conditions(conditions: dict, context: dict) -> bool:
    for operator, tests in conditions.items():
        check = _OPERATORS.get(operator)
        if check is None:
            return False
        for key, wanted in tests.items():
            value = context.get(key.lower())
            options = [wanted] if isinstance(wanted, str) else wanted
            if value is None or not any(check(value, str(w)) for w in options):
                return False
    return True
