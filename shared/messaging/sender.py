"""The sender: one SQS message → at most one provider call for one attempt of one communication.

For a message naming attempt n of a communication:
0. Before anything is marked, for the whole batch at once (shared.messaging.pacing), from the messages
   alone and the tenant's settings (read once per tenant per batch): quiet hours (the message's channel
   and the recipient's zone), a marketing message's frequency caps (shared.messaging.caps: one read of the
   batch's members' counts; over a cap it waits, or is skipped as the setting says), then the pacing of
   its sender (one booking per sender per batch). A message
   that must wait is queued again with the wait as its delay (one SendMessageBatch by 10), or, for more than
   SQS's 15 minutes, parked until it is due (the sweeper queues it then). No attempt is used; the original is
   deleted, so no receive counts towards the dead-letter queue.
1. Take the attempt: one conditional UpdateItem moves the queued communication to `sending` with
   send_attempt = n and a lease, and answers the item (store.take_attempt). A copy of the message, or
   a message of an attempt already decided, finds it taken and sends nothing.
2. A marketing message to an address that opted out of the channel is skipped (`failed`, provider_status
   `skipped`, error_code `opted_out`): no provider call. Transactional messages go whatever the consent.
   Call the provider (Twilio for sms/mms, a Twilio call saying the content and playing the media for voice,
   SendGrid for email, its attachments and a stored body read from S3 by their references) through its real SDK.
3. Record the outcome, on the condition that the attempt and its lease are still the ones taken:
   - accepted → `sent` with the provider's id, segments and cost;
   - permanent (invalid number 21211, unsubscribed 21610, a refused address, an email's attachment gone
     from S3: `attachment_missing`) → `failed` with the code and message, at once; 21610 also records the
     opt-out (a consent record);
   - transient (5xx before the request went out, 429, queue full) → `retrying`, and attempt n + 1 queued
     after a backoff with full jitter (the tenant's `messaging.retry_policy`); a 429 that said when
     hands the same attempt back instead, so being asked to wait never uses up an attempt;
     the last attempt spent → the dead-letter queue, then `failed` with the last error, marked
     `retryable` (retryFailedCommunications may queue it once more; a permanent refusal never is);
   - ambiguous (a timeout or 5xx after the request went out: the provider may have sent) →
     provider_status `unknown`, never re-sent blind: a delayed check settles it first. Twilio: its
     recent messages to that number, from that sender, with that body; found → `sent`, else a retry.
     SendGrid has no such lookup: after the window, one more attempt, noted as a possible duplicate.
An attempt whose lease expired while `sending` (the sender died between the call and the write) is
ambiguous too, and settled the same way. Transitions go to the communication's own status history.
"""

from __future__ import annotations

import functools
import random
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.communications import store
from shared.communications.store import RETRYING, SENDING, UNKNOWN
from shared.core import aws, settings
from shared.core.log import logger
from shared.messaging import queue
from shared.messaging.queue import SendMessage

if TYPE_CHECKING:
    from collections.abc import Callable

    from shared.providers.errors import ProviderError
    from shared.providers.result import ProviderResult

LEASE_MS = 120_000  # the sender's 60 s timeout and a margin; the queue's visibility timeout (360 s) is longer
SETTLE_AFTER_S = 30  # an unconfirmed Twilio attempt is looked up this long after (its list shows it by then)
EMAIL_SETTLE_AFTER_S = 600  # the window an unconfirmed email or call waits for before its one more attempt
DEFERRED = "deferred"  # provider_status of an attempt handed back: the provider asked us to wait


class AttemptInFlight(Exception):
    """Another invocation holds this attempt's lease: the message comes back after its visibility timeout."""


RULES = ("messaging.quiet_hours", "general.time_zone", "messaging.retry_policy", "messaging.senders",
         "messaging.send_rates", "messaging.tenant_send_rate", "messaging.frequency_caps")
SWEEP_PAGE = 100  # parked sends queued again per due-index shard per sweep; the next minute takes the rest


class Rules:
    """A tenant's sending settings, read once per batch (one BatchGetItem) and only when needed."""

    def __init__(self) -> None:
        self._of: dict[str, dict[str, Any]] = {}

    def __call__(self, client_id: str) -> dict[str, Any]:
        if client_id not in self._of:
            from shared.settings.service import effective_values

            self._of[client_id] = effective_values(client_id, RULES)
        return self._of[client_id]


def handle(event: dict, context: Any) -> dict:
    """An SQS batch, each message on its own (Powertools batch processor: partial batch failures)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    rules = Rules()
    messages: dict[str, SendMessage] = {}
    for record in event.get("Records") or []:
        try:
            messages[record["messageId"]] = SendMessage.parse(record["body"])
        except (KeyError, TypeError, ValueError):
            continue  # its record handler raises the same: that message alone fails
    held = hold(messages, rules)

    def handle_record(record: Any) -> str:
        if record.message_id in held:
            if held[record.message_id] == REFUSED:
                raise DeferralRefused(f"message {record.message_id} could not be queued again: it returns")
            if held[record.message_id] == CAPPED:
                return skip_capped(SendMessage.parse(record.body), rules)
            return held[record.message_id]
        return process(SendMessage.parse(record.body), rules)

    return dict(process_partial_response(event=event, processor=BatchProcessor(event_type=EventType.SQS),
                                         record_handler=handle_record, context=context))


class DeferralRefused(Exception):
    """SQS did not take a deferred message's copy: the original stays, back after its visibility timeout."""


REFUSED = "refused"
CAPPED = "capped"
BUSY_RETRY_S = 5.0  # a batch whose bucket or counts DynamoDB could not serve: those messages come back then


def skip_capped(message: SendMessage, rules: Rules) -> str:
    """A marketing message over its member's frequency cap, the setting saying skip: failed, not sent."""
    item = store.take_attempt(message.client_id, message.id, message.attempt, LEASE_MS)
    if item is None:
        return _not_taken(message, rules)
    store.record_outcome(item.client_id, item.id, message.attempt, status="failed", provider_status="skipped",
                         fields={"error_code": "frequency_cap", "error_message": "the member has had the "
                                 f"{item.channel} marketing messages messaging.frequency_caps allows"},
                         note="skipped: over the frequency cap", lease=_lease(item))
    return "skipped"


def hold(messages: dict[str, SendMessage], rules: Rules) -> dict[str, str]:
    """Step 0 for a batch: the messages that must wait (quiet hours, frequency caps, pacing), queued again for
    when they may go, or parked; message id → what became of it (REFUSED: SQS did not take its copy; CAPPED:
    over a cap the tenant skips, failed by its record handler). The rest go on."""
    from shared.messaging import pacing

    waits: list[tuple[str, SendMessage, float, str]] = []
    candidates: dict[str, SendMessage] = {}
    for message_id in list(messages):
        message = _must_book(message_id, messages, rules, waits)
        if message is not None:
            candidates[message_id] = message
    skipped = _over_caps(candidates, rules, waits)
    wanting: dict[tuple[pacing.Pace, str], list[str]] = {}
    for message_id, message in candidates.items():
        pace = pacing.pace_of(message, rules(message.client_id))
        if pace is not None:
            wanting.setdefault((pace, message.client_id), []).append(message_id)
    for (pace, client_id), ids in wanting.items():
        waits += _booked_waits(pace, client_id, [(i, messages[i]) for i in ids])
    return {**_defer_all(waits), **dict.fromkeys(skipped, CAPPED)}


def _over_caps(candidates: dict[str, SendMessage], rules: Rules,
               waits: list[tuple[str, SendMessage, float, str]]) -> list[str]:
    """Take the messages over a member's frequency cap out of `candidates`: those to defer into `waits`, the
    ids of those to skip returned."""
    from pynamodb.exceptions import PynamoDBException

    from shared.db.writes import busy
    from shared.messaging import caps

    by_message = {id(message): message_id for message_id, message in candidates.items()}
    skipped: list[str] = []
    try:
        over = caps.capped(list(candidates.values()), rules)
    except PynamoDBException as err:  # DynamoDB busy: the messages the counts decide wait a moment
        if not busy(err):
            raise
        over = [(m, caps.DEFER, BUSY_RETRY_S) for m in candidates.values() if m.marketing and m.member]
    for message, action, wait in over:
        message_id = by_message[id(message)]
        del candidates[message_id]
        if action == caps.SKIP:
            skipped.append(message_id)
        else:
            waits.append((message_id, message, wait, "frequency cap"))
    return skipped


def _must_book(message_id: str, messages: dict[str, SendMessage], rules: Rules,
               waits: list[tuple[str, SendMessage, float, str]]) -> SendMessage | None:
    """The message when its send is still to be booked; None when it waits (added to `waits`) or may go."""
    from dataclasses import replace

    from shared.messaging import pacing

    message = messages[message_id]
    if message.settle:
        return None  # a lookup, not a send
    quiet = _quiet_wait(message, rules)
    if quiet > 0:
        waits.append((message_id, replace(message, slot=None), quiet, "quiet hours"))
        return None
    if message.slot is None:
        return message
    wait = pacing.slot_wait(message.slot)
    if wait is None:  # its second has passed: it books again
        message = messages[message_id] = replace(message, slot=None)
        return message
    if wait > 0:
        waits.append((message_id, message, wait, "pacing"))
    return None  # wait == 0: its booked second, it goes


def _booked_waits(pace: Any, client_id: str, batch: list[tuple[str, SendMessage]]) -> list[tuple[str, SendMessage, float, str]]:
    """Book one tenant's messages on one sender: the waits of those not booked into the current second."""
    from dataclasses import replace

    from pynamodb.exceptions import PynamoDBException

    from shared.db.writes import busy
    from shared.errors import Unavailable
    from shared.messaging import pacing

    try:
        bookings = pacing.book(pace, client_id, len(batch))
    except (Unavailable, PynamoDBException) as err:  # contended, or DynamoDB busy: they try again shortly
        if isinstance(err, PynamoDBException) and not busy(err):
            raise  # a defect (a refused permission, a malformed request), not a wait
        return [(message_id, message, BUSY_RETRY_S, "pacing") for message_id, message in batch]
    now_s, waits = clock.now_ms() // 1000, []
    for (message_id, message), booking in zip(batch, bookings, strict=True):
        if booking.second > now_s:  # booked later, or no room yet (it books when it comes back)
            waits.append((message_id, replace(message, slot=booking.second if booking.booked else None),
                          pacing.slot_wait(booking.second) or 0.0, "pacing"))
    return waits


def _defer_all(waits: list[tuple[str, SendMessage, float, str]]) -> dict[str, str]:
    """Queue each waiting message again with its wait as the delay (parked past 15 minutes)."""
    held: dict[str, str] = {}
    queued: list[tuple[str, SendMessage, float]] = []
    for message_id, message, wait, reason in waits:
        held[message_id] = "deferred" if reason == "quiet hours" else "paced"
        if wait > queue.MAX_DELAY_S:
            defer(message, wait, reason)
        else:
            queued.append((message_id, message, wait))
    for position in queue.later_all([(message, wait) for _, message, wait in queued]):
        held[queued[position][0]] = REFUSED
    return held


def process(message: SendMessage, rules: Rules | None = None) -> str:
    """Handle one message that may go now (hold() has let it); returns what became of it (for the log and
    the tests)."""
    rules = rules or Rules()
    if message.settle:
        item = store.find(message.client_id, message.id)
        if item is None or not _unconfirmed(item, message.attempt):
            return "settled"
        return _settle(item, message, rules)
    item = store.take_attempt(message.client_id, message.id, message.attempt, LEASE_MS)
    if item is None:
        return _not_taken(message, rules)
    return _attempt(item, message, rules)


def _quiet_wait(message: SendMessage, rules: Rules) -> float:
    """Seconds until the recipient's quiet hours end (0: outside them, or the channel has none)."""
    if not message.channel:
        return 0.0
    from shared.messaging.quiet_hours import wait_seconds

    tenant = rules(message.client_id)
    window = getattr(tenant["messaging.quiet_hours"], message.channel, None)
    return wait_seconds(window, message.zone or tenant["general.time_zone"], clock.now_ms())


def defer(message: SendMessage, wait_s: float, reason: str) -> None:
    """Have `message` come back in `wait_s` seconds: an SQS delay up to 15 minutes, else parked."""
    if wait_s <= queue.MAX_DELAY_S:
        queue.later(message, wait_s)
        return
    from shared.messaging import store as parked

    parked.park(message.client_id, message.id, message.attempt, message.body(),
                clock.now_ms() + round(wait_s * 1000), reason)


def sweep_parked(limit: int = SWEEP_PAGE) -> int:
    """requeueParkedSends: queue again every tenant's parked sends due within the minute (with what is left
    of their wait as the delay), then delete them: one range query per shard of the due index, however
    many tenants. A crash between the two queues a message twice, which the attempt's conditional take
    makes harmless."""
    from shared.messaging import store as parked

    now, done = clock.now_ms(), 0
    for item in parked.due_parked(now + 60_000, limit):
        queue.later(SendMessage.parse(item.body), max(0.0, (item.due_at - now) / 1000))
        item.delete()
        done += 1
    return done


def _unconfirmed(item: store.Communication, attempt: int) -> bool:
    return item.status == "queued" and int(item.send_attempt or 0) == attempt and item.provider_status == UNKNOWN


def _not_taken(message: SendMessage, rules: Rules) -> str:
    """The attempt was not ours to take: say why, and pick up what a crashed invocation left."""
    item = store.find(message.client_id, message.id)
    if item is None:
        return "gone"
    if item.status != "queued":
        return "done"
    taken = int(item.send_attempt or 0)
    if taken != message.attempt:
        return "stale"  # a copy of a decided attempt's message, or of a handed-back one
    if item.provider_status == SENDING:
        if item.lease_until is not None and item.lease_until > clock.now_ms():
            raise AttemptInFlight(f"attempt {taken} of {item.id} is being sent")
        # The invocation that took it died between the provider call and the write: it may have sent.
        unknown = store.record_outcome(item.client_id, item.id, taken, status=None, provider_status=UNKNOWN,
                                       fields={}, note="the lease expired: the attempt's outcome is unknown",
                                       lease=_lease(item))
        return _settle(unknown, message, rules) if unknown is not None else "raced"
    if item.provider_status == RETRYING:  # the next attempt's message may not have been queued: queue it
        _queue_retry(message, rules)
        return "requeued"
    if item.provider_status == UNKNOWN:
        _queue_settle(item, message)
        return "settling"
    return "stale"


def _lease(item: store.Communication) -> int | None:
    return int(item.lease_until) if item.lease_until is not None else None


def _attempt(item: store.Communication, message: SendMessage, rules: Rules) -> str:
    from shared.providers.errors import ProviderError

    attempt, lease = message.attempt, _lease(item)
    if item.message_type == "marketing" and _opted_out(item):
        store.record_outcome(item.client_id, item.id, attempt, status="failed", provider_status="skipped",
                             fields={"error_code": "opted_out", "error_message": "the recipient opted out of "
                                     f"{consent_channel(item.channel)} marketing"},
                             note="skipped: opted out", lease=lease)
        return "skipped"
    try:
        result = _send(item)
    except ProviderError as err:
        return _failed(item, message, err, lease, rules)
    done = store.record_outcome(item.client_id, item.id, attempt, status="sent", provider_status=result.status,
                                fields=_sent_fields(result), note=f"accepted by {item.provider}", lease=lease)
    if done is None:  # our lease expired mid-call and another invocation took the attempt over to settle it
        logger.warning("sent after the lease expired", extra={"communication_id": item.id, "attempt": attempt})
        return "late"
    return "sent"


def consent_channel(channel: str) -> str:
    """The channel a consent is given for: an MMS is an SMS for opting in and out."""
    return "sms" if channel == "mms" else channel


def _address(item: store.Communication) -> str:
    return (item.to_email if item.channel == "email" else item.to_number) or ""


def _opted_out(item: store.Communication) -> bool:
    from shared.messaging import store as consent

    state = consent.consent_of(item.client_id, consent_channel(item.channel), _address(item))
    return bool(state and state.opted_out)


def _send(item: store.Communication) -> ProviderResult:
    """The provider call of one attempt, through the provider's SDK (imported on first use)."""
    if item.channel in ("sms", "mms"):
        from shared.providers import twilio_sms

        return twilio_sms.send_sms(item.to_number or "", item.from_number or "", item.content,
                                   media_urls=[str(u) for u in item.media_urls or ()] if item.channel == "mms" else None,
                                   status_callback=status_callback_url(item))
    if item.channel == "voice":
        from shared.providers import twilio_sms

        # The content is said, then each media URL played (TwiML say / play).
        return twilio_sms.place_call(item.to_number or "", item.from_number or "",
                                     twilio_sms.voice_twiml(item.content, [str(u) for u in item.media_urls or ()]))
    if item.channel == "webhook":
        return _send_webhook(item)
    if item.channel == "conversation":
        from shared.providers import twilio_conversations

        # The communication id rides in the message's attributes: an unconfirmed post is looked up by it.
        return twilio_conversations.send_message(_conversation_sid(item), item.content,
                                                 attributes={"communication_id": item.id})
    if item.channel == "email":
        from shared.providers import sendgrid_email

        text, html = _email_body(item)
        # The ids travel in custom_args: SendGrid's events name the communication they are about.
        return sendgrid_email.send_email(item.to_email or "", item.from_email or "", item.subject, html=html,
                                         text=text, attachments=_email_files(item),
                                         custom_args={"communication_id": item.id, "client_id": item.client_id})
    from shared.providers.errors import ProviderError

    raise ProviderError("none", f"no provider sends the {item.channel} channel", code="channel")


MISSING_ATTACHMENT = "attachment_missing"  # error_code of an email whose stored file or body is gone


def _from_bucket(read: Callable[[], Any]) -> Any:
    """A read of an email's stored file or body: gone (or changed) is a permanent failure, so the email fails
    at once with MISSING_ATTACHMENT instead of retrying; S3 busy or failing is transient."""
    from botocore.exceptions import BotoCoreError, ClientError

    from shared.communications.attachments import Missing
    from shared.providers.errors import ProviderError

    try:
        return read()
    except Missing as err:
        raise ProviderError("s3", str(err), code=MISSING_ATTACHMENT) from None
    except (ClientError, BotoCoreError) as err:  # throttled, a 5xx, no answer: tried again after a backoff
        raise ProviderError("s3", f"the attachment bucket did not answer: {type(err).__name__}", code="s3",
                            transient=True) from None


def _email_body(item: store.Communication) -> tuple[str, str | None]:
    """An email's text and html: from the item, or whole from S3 when it was too large for the item."""
    if item.content_ref:
        from shared.communications import attachments

        return _from_bucket(functools.partial(attachments.body, item.content_ref))
    from shared.communications.account_emails import text_of

    return text_of(item), item.html


def _email_files(item: store.Communication) -> list[Any]:
    """An email's attachments, read from S3 by their references (each checked against its sha256)."""
    from shared.communications import attachments
    from shared.providers.sendgrid_email import EmailAttachment

    return [EmailAttachment(ref["filename"], ref["type"], _from_bucket(functools.partial(attachments.read, ref)),
                            ref.get("disposition") or "attachment", ref.get("content_id"))
            for ref in item.attachments or ()]


WEBHOOK_EVENT = "communication.webhook"  # the event type a webhook-channel message is delivered as


def _send_webhook(item: store.Communication) -> ProviderResult:
    """A webhook-channel message: an outbound webhook event (shared.webhooks.delivery) to each of the
    tenant's endpoints subscribed to WEBHOOK_EVENT, its event id the communication's, so a second attempt
    finds the event recorded and sends nothing more. None subscribed: a permanent refusal."""
    from shared.errors import Duplicate
    from shared.providers.errors import ProviderError
    from shared.providers.result import ProviderResult
    from shared.webhooks import delivery

    payload = {"communication_id": item.id, "member_id": item.member_id, "content": item.content,
               "subject": item.subject, "metadata": item.metadata, "message_type": item.message_type}
    try:
        sent = delivery.emit(item.client_id, WEBHOOK_EVENT, payload, f"comm_{item.id}", None, "sendCommunications")
    except Duplicate:  # an earlier attempt recorded the event: it is on its way
        return ProviderResult(provider_id=f"comm_{item.id}", status="queued", raw={})
    if not sent:
        raise ProviderError("webhooks", f"no enabled endpoint subscribes to {WEBHOOK_EVENT}", code="no_endpoint")
    return ProviderResult(provider_id=f"comm_{item.id}", status="queued", raw={"deliveries": len(sent)})


def _conversation_sid(item: store.Communication) -> str:
    return str((item.metadata or {}).get("conversation_sid") or "")


def _found_at_twilio(item: store.Communication, attempt: int) -> list[ProviderResult]:
    """What an unconfirmed attempt left at Twilio: its recent messages to that number, from that sender, with
    that body; in a conversation, the message carrying the communication's id."""
    if item.channel == "conversation":
        from shared.providers import twilio_conversations

        return [posted for posted in twilio_conversations.list_messages(_conversation_sid(item), limit=50)
                if twilio_conversations.attributes_of(posted).get("communication_id") == item.id]
    from shared.providers import twilio_sms

    return twilio_sms.list_recent_messages(item.to_number or "", _attempt_started(item, attempt),
                                           from_=item.from_number, body=item.content, limit=50)


def status_callback_url(item: store.Communication) -> str | None:
    """Where Twilio reports the message's status: our public URL naming the communication (Twilio signs the
    whole URL, so the ids in it are as trustworthy as the rest), or None when no public URL is configured."""
    from urllib.parse import urlencode

    base = settings.PUBLIC_BASE_URL.get().rstrip("/")
    if not base:
        return None
    return f"{base}/webhooks/twilio/status?{urlencode({'client_id': item.client_id, 'communication_id': item.id})}"


def _sent_fields(result: ProviderResult) -> dict[str, Any]:
    return {"provider_id": result.provider_id or None, "segments": result.segments, "cost": result.cost,
            "provider_response": dict(result.raw) or None, "error_code": None, "error_message": None}


def _error_fields(err: ProviderError) -> dict[str, Any]:
    return {"error_code": str(err.code) if err.code is not None else None, "error_message": err.message[:1000]}


UNSUBSCRIBED = 21610  # Twilio: the recipient replied STOP to this sender


def _failed(item: store.Communication, message: SendMessage, err: ProviderError, lease: int | None,
            rules: Rules) -> str:
    attempt = message.attempt
    key = (item.client_id, item.id, attempt)
    if err.kind == "permanent":
        if err.code == UNSUBSCRIBED:
            from shared.messaging import store as consent

            consent.record_consent(item.client_id, consent_channel(item.channel), _address(item), opted_out=True,
                                   source="provider_error", sender=item.from_number)
        store.record_outcome(*key, status="failed", provider_status="failed", fields=_error_fields(err),
                             note=f"refused by {err.provider} (code {err.code})", lease=lease)
        return "failed"
    if err.kind == "ambiguous":
        unknown = store.record_outcome(*key, status=None, provider_status=UNKNOWN, fields=_error_fields(err),
                                       note=f"{err.provider} did not confirm (code {err.code}): settled before "
                                            "any resend", lease=lease)
        if unknown is not None:
            _queue_settle(unknown, message)
        return "unknown"
    if err.retry_after is not None and not err.down:
        # Asked to wait (429, queue full): the attempt is handed back, not used up.
        handed = store.record_outcome(*key, status=None, provider_status=DEFERRED,
                                      fields={**_error_fields(err), "send_attempt": attempt - 1,
                                              "retry_count": attempt - 1},
                                      note=f"{err.provider} asked to wait {err.retry_after:g} s", lease=lease)
        if handed is not None:
            queue.later(message, err.retry_after)
        return "deferred"
    return _retry_or_fail(item, message, rules, _error_fields(err), f"{err.provider} failed (code {err.code})",
                          expect=SENDING, lease=lease)


def _retry_or_fail(item: store.Communication, message: SendMessage, rules: Rules, error: dict[str, Any], why: str,
                   *, expect: str, lease: int | None = None) -> str:
    """The message's attempt did not send: queue the next one after a backoff, or, the last one spent, put
    the communication on the dead-letter queue and mark it failed."""
    attempt = message.attempt
    policy = rules(item.client_id)["messaging.retry_policy"]
    key = (item.client_id, item.id, attempt)
    if attempt < policy.max_attempts:
        retrying = store.record_outcome(*key, status=None, provider_status=RETRYING, fields=error,
                                        note=f"{why}: attempt {attempt + 1} queued", expect=expect, lease=lease)
        if retrying is None:
            return "raced"
        _queue_retry(message, rules)
        return "retrying"
    # The dead letter first: a crash before the write leaves the message to come back and find it again.
    dead_letter(message.of(attempt), why)
    # Only transient errors got it here: retryFailedCommunications may queue it again.
    store.record_outcome(*key, status="failed", provider_status="failed", fields={**error, "retryable": True},
                         note=f"{why}: {attempt} attempts, none sent", expect=expect, lease=lease)
    return "exhausted"


def dead_letter(message: SendMessage, reason: str) -> None:
    """Put a communication whose attempts are spent on the dead-letter queue, with why."""
    aws.client("sqs").send_message(QueueUrl=settings.SEND_DLQ_URL.get(), MessageBody=message.body(),
                                   MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:256]}})


def backoff_seconds(policy: Any, attempt: int) -> float:
    """The wait before the attempt after `attempt`: full jitter on base * 2^(attempt-1), capped."""
    ceiling = min(policy.backoff_cap_seconds, policy.backoff_base_seconds * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)


def _queue_retry(message: SendMessage, rules: Rules) -> None:
    policy = rules(message.client_id)["messaging.retry_policy"]
    queue.later(message.of(message.attempt + 1), backoff_seconds(policy, message.attempt))


def _queue_settle(item: store.Communication, message: SendMessage) -> None:
    wait = SETTLE_AFTER_S if item.channel in ("sms", "mms", "conversation") else EMAIL_SETTLE_AFTER_S
    queue.later(message.of(message.attempt, settle=True), wait)


def _settle(item: store.Communication, message: SendMessage, rules: Rules) -> str:
    """Decide an unconfirmed attempt: sent when the provider has the message, else not sent (retried)."""
    attempt = message.attempt
    if item.channel in ("sms", "mms", "conversation"):
        from shared.providers.errors import ProviderError

        try:
            found = _found_at_twilio(item, attempt)
        except ProviderError:
            _queue_settle(item, message)  # the lookup itself failed: look again later
            return "settling"
        if found:
            done = store.record_outcome(item.client_id, item.id, attempt, status="sent",
                                        provider_status=found[-1].status, fields=_sent_fields(found[-1]),
                                        note="found at twilio: the unconfirmed attempt had sent", expect=UNKNOWN)
            return "sent" if done is not None else "raced"
        return _retry_or_fail(item, message, rules, {}, "not found at twilio: the unconfirmed attempt had not sent",
                              expect=UNKNOWN)
    # An email (SendGrid has no lookup) or a call (Twilio's call list is not read): one more attempt.
    logger.warning(f"an unconfirmed {item.channel} is sent once more: a duplicate is possible",
                   extra={"communication_id": item.id, "attempt": attempt, "possible_duplicate": True})
    return _retry_or_fail(item, message, rules, {}, f"no word from {item.provider} within the window: sent once "
                          "more, a duplicate is possible", expect=UNKNOWN)


def _attempt_started(item: store.Communication, attempt: int) -> int:
    """When attempt `attempt` was taken (epoch ms), from the history; the lookup reads from there on."""
    for entry in reversed(item.status_history or []):
        if entry.get("status") == SENDING and int(entry.get("attempt", 0)) == attempt:
            return int(entry["at"])
    return int(item.created_at)
