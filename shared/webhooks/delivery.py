"""Outbound webhooks: triggerWebhook records an event for each subscribed endpoint and queues it; the
delivery worker (deliverWebhooks) sends it, signed by the Standard Webhooks convention.

A delivery is a POST of `{"type", "timestamp", "data"}` with `webhook-id` (the event id, the same on
every attempt and for every endpoint: receivers dedupe by it), `webhook-timestamp` (epoch seconds, from
shared.clock) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, made by the
`standardwebhooks` package, so any receiver's library verifies it).

Each attempt is recorded on the webhook item (delivery_store) before and after it goes out:
- 2xx → processed;
- 410 Gone → failed, and the endpoint is disabled until a caller enables it again;
- any other 3xx or 4xx but 408 and 429 → failed at once (redirects are not followed);
- 408, 429, 5xx, a timeout, a connection error, a host that does not resolve → retried up to
  MAX_ATTEMPTS, each after a delay of full jitter on an exponential step (uniform in
  [0, min(BACKOFF_CAP_S, BACKOFF_BASE_S · 2^(n-1))]) carried by a new SQS message (DelaySeconds, on the
  shared clock locally); the message in hand is then done, so retries never count towards the queue's
  redrive limit; then failed with the last error;
- a URL or resolved address the SSRF guard refuses (shared.webhooks.targets), a deleted or disabled
  endpoint → failed at once, nothing sent.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shared import clock
from shared.core import aws, settings
from shared.core.log import logger
from shared.errors import NotFound, ValidationFailed
from shared.ids import new_id
from shared.webhooks import delivery_store as store
from shared.webhooks import endpoint_store

if TYPE_CHECKING:
    from shared.core.actor import Scope

MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 10
BACKOFF_CAP_S = 900  # SQS's longest delay
LEASE_MS = 120_000  # an attempt's hold: above the worker's 60 s timeout, below the queue's 360 s visibility
MAX_PAYLOAD_BYTES = 64 * 1024
TRANSIENT_STATUSES = frozenset({408, 429})
GONE = 410


# --- triggerWebhook --------------------------------------------------------------------------------

def trigger(scope: Scope, body) -> dict:
    """triggerWebhook: one webhook per enabled endpoint of the tenant subscribed to the event type,
    written with the claim of the event id, then queued."""
    event_id = body.event_id or f"msg_{new_id()}"
    items = emit(scope.tenant_required(), body.event_type, body.payload, event_id, scope.actor, "triggerWebhook")
    return {"event_id": event_id, "event_type": body.event_type,
            "deliveries": [{"id": i.id, "endpoint_id": i.endpoint_id, "status": i.status} for i in items]}


def emit(tenant: str, event_type: str, payload, event_id: str, actor, operation: str,
         field: str = "/body/payload") -> list[store.OutboundWebhook]:
    """Record an event's webhook for each enabled endpoint subscribed to `event_type`, with the claim of
    its event id (a second time: Duplicate naming /body/event_id), and queue them. The webhooks (none when
    no endpoint subscribes)."""
    now = clock.now_ms()
    message = json.dumps({"type": event_type, "timestamp": _iso(now), "data": payload},
                         separators=(",", ":"), ensure_ascii=False)
    if len(message.encode()) > MAX_PAYLOAD_BYTES:
        raise ValidationFailed(f"the payload may be at most {MAX_PAYLOAD_BYTES // 1024} KB as JSON", field=field)
    subscribed = [e for e in endpoint_store.all_live(tenant) if e.enabled and e.subscribes_to(event_type)]
    items = [store.OutboundWebhook(id=new_id(), client_id=tenant, event_type=event_type, event_id=event_id,
                                   endpoint_id=e.id, payload=message, status="received", attempts=0,
                                   attempt_history=[], created_at=now) for e in subscribed]
    if items:
        store.record_event(items, actor, operation)
        _enqueue([(item, 1, 0) for item in items])
    return items


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _enqueue(deliveries: list[tuple[store.OutboundWebhook, int, int]]) -> None:
    """Queue (webhook, attempt number, delay in seconds) messages, ten to a call."""
    sqs, url = aws.client("sqs"), settings.WEBHOOK_QUEUE_URL.get()
    for start in range(0, len(deliveries), 10):
        batch = deliveries[start:start + 10]
        answer = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "DelaySeconds": delay,
             "MessageBody": json.dumps({"client_id": item.client_id, "webhook_id": item.id, "attempt": attempt})}
            for n, (item, attempt, delay) in enumerate(batch)])
        if answer.get("Failed"):
            raise RuntimeError(f"SQS refused {len(answer['Failed'])} webhook deliveries: {answer['Failed'][0]}")


# --- deliverWebhooks -------------------------------------------------------------------------------

def handle(event: dict, context) -> dict:
    """An SQS batch of deliveries (Powertools batch processor: a record that raises is retried alone)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return dict(process_partial_response(event=event, record_handler=lambda record: deliver(json.loads(record.body)),
                                         processor=BatchProcessor(event_type=EventType.SQS), context=context))


def deliver(message: dict) -> str:
    """Make one attempt of one webhook; answers what became of it (for logs and tests)."""
    try:
        item = store.get(message["client_id"], message["webhook_id"])
    except NotFound:
        return "gone"
    number = int(message["attempt"])
    if item.status != "received" or not store.take_attempt(item, number, LEASE_MS):
        return "duplicate"  # settled already, or this attempt is another worker's
    started, began = clock.now_ms(), time.monotonic()
    status_code, error, outcome = _attempt(item)

    def attempt(result: str, next_at: int | None = None) -> store.Attempt:
        return store.Attempt(number=number, at=started, duration_ms=int((time.monotonic() - began) * 1000),
                             status_code=status_code, outcome=result, error=error, next_attempt_at=next_at)

    logger.info("webhook attempt", extra={"webhook_id": item.id, "endpoint_id": item.endpoint_id,
                                          "attempt": number, "status_code": status_code, "outcome": outcome})
    if outcome == "delivered":
        store.record_attempt(item, attempt("delivered"), status="processed")
    elif outcome == "retry" and number < MAX_ATTEMPTS:
        delay = backoff_s(number)
        _enqueue([(item, number + 1, delay)])  # before the record: a lost write leaves a retry, never none
        store.record_attempt(item, attempt("retry", started + delay * 1000), status="received", error=error)
    else:
        if outcome == "retry":
            error, outcome = f"gave up after {number} attempts: {error}", "failed"
        if status_code == GONE:  # first: once the webhook reads failed, its endpoint reads disabled
            from shared.webhooks.endpoints import disable_gone

            disable_gone(item.client_id, item.endpoint_id, f"the URL answered 410 Gone on {_iso(started)}")
        store.record_attempt(item, attempt("failed"), status="failed", error=error)
    return outcome


def backoff_s(attempt: int) -> int:
    """Seconds before the attempt after `attempt`: full jitter on an exponential step, capped."""
    return round(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1))))


def _attempt(item: store.OutboundWebhook) -> tuple[int | None, str | None, str]:
    """(status code, error, outcome: delivered | retry | failed) of one POST to the webhook's endpoint."""
    import urllib3

    from shared.webhooks import targets
    from shared.webhooks.endpoints import signing_secret

    try:
        endpoint = endpoint_store.get(item.client_id, item.endpoint_id)
    except NotFound:
        return None, "the endpoint was deleted", "failed"
    if not endpoint.enabled:
        return None, f"the endpoint is disabled ({endpoint.disabled_reason})", "failed"
    try:
        target = targets.resolve(endpoint.url)
    except targets.Unresolvable as e:
        return None, str(e), "retry"
    except targets.TargetRefused as e:
        return None, f"refused: {e}", "failed"
    try:
        code = targets.post(target, item.payload.encode(), signed_headers(item, signing_secret(endpoint)))
    except urllib3.exceptions.HTTPError as e:
        return None, f"no answer from {target.host}: {type(e).__name__}", "retry"
    if 200 <= code < 300:
        return code, None, "delivered"
    transient = code >= 500 or code in TRANSIENT_STATUSES
    return code, f"the URL answered {code}", "retry" if transient else "failed"


def signed_headers(item: store.OutboundWebhook, secret: str) -> dict[str, str]:
    """The Standard Webhooks headers of a delivery, signed now."""
    from standardwebhooks.webhooks import Webhook

    sent_at = clock.now_s()
    signature = Webhook(secret).sign(item.event_id, datetime.fromtimestamp(sent_at, UTC), item.payload)
    return {"content-type": "application/json", "user-agent": "EchelonX-Webhooks/1", "webhook-id": item.event_id,
            "webhook-timestamp": str(sent_at), "webhook-signature": signature}
