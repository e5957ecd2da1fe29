"""Applying the provider events the callbacks stored (shared.messaging.callbacks checks where they come from
and stores each once; retryFailedWebhooks applies a failed one again through `reapply`).

A stored event is applied, then settled processed or failed (with why, retryable). A report about a
communication (`report`) moves its status forward only (the communications store's `advance`), so any
order of callbacks ends in the same state; a report about a send not recorded yet (the attempt in
flight) is held on the communication and applied when the send is recorded; one about an unconfirmed
send (provider_status `unknown`) settles it as sent (or failed) first.

Inbound SMS (the whole trimmed body, any case; Twilio's `OptOutType` first when it sends one): a STOP
word opts the sender out of SMS, a START word back in (each a consent record: source, keyword, sender,
channel, tenant), HELP / INFO answers the tenant's `sms.help_text` as TwiML; anything else becomes an
inbound communication of the member with that phone, whose last_active moves to now.

A message added to a conversation (Twilio Conversations' onMessageAdded) is counted on the conversation once
by its sid, and, unless it is our own post, recorded as an inbound communication (channel `conversation`)
of the conversation's member.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.communications import store as comms
from shared.core.log import logger
from shared.webhooks import store as received

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Twilio's message statuses that move a communication; queued, accepted, scheduled, sending move nothing.
TWILIO_STATUS = {"sent": "sent", "delivered": "delivered", "read": "read", "undelivered": "failed",
                 "failed": "failed", "canceled": "failed"}
# SendGrid's events that move a communication (processed settles an unconfirmed send as sent).
SENDGRID_STATUS = {"processed": "sent", "delivered": "delivered", "open": "read", "click": "clicked",
                   "bounce": "bounced", "dropped": "failed"}
EMAIL_OPT_OUTS = frozenset({"spamreport", "unsubscribe", "group_unsubscribe"})
_TRIES = 3
CONVERSATION_EVENT = "conversation.onMessageAdded"  # a stored Conversations event's type


class NotApplied(Exception):
    """The event cannot be applied now: it stays stored `failed` with this reason, to be retried."""


# --- applying a stored event ---------------------------------------------------------------------
def apply(event: received.Webhook, fn: Callable[[], Any]) -> Any:
    """Run `fn` for a stored event and settle it: processed, or failed with why (retryable)."""
    try:
        result = fn()
    except NotApplied as err:
        received.settle(event, received.FAILED, str(err))
        return None
    except Exception as err:  # noqa: BLE001 - whatever failed, the event stays stored, failed and retryable
        logger.exception("a received event failed to apply", extra={"webhook_id": event.id})
        received.settle(event, received.FAILED, f"{type(err).__name__}: {str(err)[:300]}")
        return None
    received.settle(event, received.PROCESSED)
    return result


def store_and_apply(client_id: str, provider: str, event_type: str, event_id: str, payload: dict,
                    communication_id: str | None, fn: Callable[[received.Webhook], Any]) -> tuple[bool, Any]:
    """Store the event once, then apply it when it is new or failed before: (applied now, fn's result)."""
    event, fresh = received.receive(client_id, provider, event_type, event_id,
                                    json.dumps(payload, sort_keys=True, separators=(",", ":")), communication_id)
    if not fresh and event.status != received.FAILED and not _abandoned(event):
        return False, None  # a duplicate or a replay: applied already (or being applied)
    return True, apply(event, lambda: fn(event))


ABANDONED_MS = 300_000  # a callback's function times out in 10 s: one stored this long ago and never settled died


def _abandoned(event: received.Webhook) -> bool:
    """Stored, never settled, long ago: the invocation that stored it died before applying it, so the
    provider's redelivery applies it (applying twice is harmless: reports only move forward)."""
    return event.status == received.RECEIVED and clock.now_ms() - int(event.updated_at) > ABANDONED_MS


def reapply(event: received.Webhook) -> str:
    """retryFailedWebhooks: apply a failed received event again; its status after."""
    payload = json.loads(event.payload)
    if event.provider == "twilio" and event.event_type == "message.inbound":
        apply(event, lambda: apply_inbound(event.client_id, event.id, payload))
    elif event.provider == "twilio" and event.event_type == CONVERSATION_EVENT:
        apply(event, lambda: _reapply_conversation_message(event.client_id, payload))
    elif event.provider == "twilio":
        apply(event, lambda: apply_twilio_status(event.client_id, event.communication_id or "", payload))
    elif event.provider == "sendgrid":
        apply(event, lambda: apply_email_event(event.client_id, event.communication_id or "", payload))
    else:
        return event.status  # recorded only (logWebhookEvent): nothing of ours applies it
    return received.get(event.client_id, event.id).status


def report(client_id: str, comm_id: str, target: str, fields: dict[str, Any], note: str,
            provider_id: str | None) -> None:
    """Move communication `comm_id` forward to `target` on a provider's report (see the module docstring)."""
    for _ in range(_TRIES):
        item = comms.find(client_id, comm_id)
        if item is None:
            raise NotApplied(f"no communication {comm_id}")
        if item.status != "queued":
            comms.advance(client_id, comm_id, target, fields, note)  # None: there or past it already
            return
        if item.provider_status == comms.UNKNOWN:
            final = target if target in comms.TERMINAL else "sent"
            settled = comms.record_outcome(
                client_id, comm_id, int(item.send_attempt or 0), status=final,
                provider_status=str(fields.get("provider_status") or final),
                fields={**({"provider_id": provider_id} if provider_id else {}), **fields},
                note=f"settled by a provider report: the unconfirmed attempt had reached it ({note})",
                expect=comms.UNKNOWN)
            if settled is None:
                continue  # settled meanwhile: read again
            if target != final:
                comms.advance(client_id, comm_id, target, fields, note)
            return
        if comms.hold(client_id, comm_id, {"status": target, "fields": fields, "note": note}):
            return
    raise NotApplied(f"communication {comm_id} kept changing while the report was applied")


def apply_twilio_status(client_id: str, comm_id: str, form: Mapping[str, str]) -> None:
    status = form["MessageStatus"]
    target = TWILIO_STATUS.get(status)
    if target is None:
        return  # on its way at Twilio: nothing to move
    fields: dict[str, Any] = {"provider_status": status}
    if target == "failed":
        fields.update(error_code=form.get("ErrorCode") or status, error_message=f"twilio reported it {status}")
    report(client_id, comm_id, target, fields, f"twilio status callback: {status}", form.get("MessageSid"))


def keyword_of(form: Mapping[str, str]) -> tuple[str | None, str]:
    """(STOP | START | HELP | None, the keyword as sent, upper-cased): Twilio's OptOutType decides when given."""
    word = (form.get("Body") or "").strip().upper()
    kind = (form.get("OptOutType") or "").strip().upper()
    if kind in ("STOP", "START", "HELP"):
        return kind, word
    for name, words in (("STOP", STOP_WORDS), ("START", START_WORDS), ("HELP", HELP_WORDS)):
        if word in words:
            return name, word
    return None, word


def keyword_answer(tenant: str, kind: str | None) -> str:
    if kind != "HELP":
        return twiml()
    from shared.settings.service import effective

    return twiml(effective(tenant, "sms.help_text"))


def apply_inbound(tenant: str, event_id: str, form: Mapping[str, str]) -> str:
    from shared.messaging import store as consent

    kind, word = keyword_of(form)
    sender, number = form["From"], form["To"]
    if kind in ("STOP", "START"):
        consent.record_consent(tenant, "sms", sender, opted_out=kind == "STOP", source="inbound_keyword",
                               keyword=word, sender=number)
        return twiml()
    if kind == "HELP":
        return keyword_answer(tenant, kind)
    from shared.communications.service import record_inbound
    from shared.members import service as members

    member = members.find_by_phone(tenant, sender)
    media = [form[f"MediaUrl{n}"] for n in range(int(form.get("NumMedia") or 0)) if form.get(f"MediaUrl{n}")]
    record_inbound(tenant, event_id, {
        "channel": "mms" if media else "sms", "provider": "twilio", "provider_id": form["MessageSid"],
        "provider_status": "received", "from_number": sender, "to_number": number, "content": form.get("Body") or "",
        "media_urls": media or None, "member_id": member["id"] if member else None})
    if member:
        members.mark_active(tenant, member["id"], clock.now_ms(), "receiveInboundMessage")
    return twiml()


def apply_conversation_message(tenant: str, conversation: Mapping[str, Any], form: Mapping[str, str]) -> None:
    """A message added to the tenant's conversation: counted once by its sid (message_count, last_message_at:
    shared.conversations.service.record_message), and, unless we posted it ourselves (its attributes name a
    communication of this tenant: the sender's conversation channel), recorded as an inbound communication of
    the conversation's member, whose last_active moves forward to it. The communication's id derives from the
    message sid, so the message is recorded once whichever deliveries of its event are applied."""
    from datetime import datetime

    from shared.communications.service import record_inbound
    from shared.conversations.service import record_message
    from shared.ids import id_for

    message_sid = form["MessageSid"]
    at = int(datetime.fromisoformat(form["DateCreated"]).timestamp() * 1000)  # validated at the door
    member_id = conversation.get("member_id")
    if not _posted_by_us(tenant, form.get("Attributes")):
        record_inbound(tenant, id_for(message_sid, at), {
            "channel": "conversation", "provider": "twilio", "provider_id": message_sid,
            "provider_status": "received", "content": form.get("Body") or "", "member_id": member_id,
            "metadata": {name: value for name, value in (
                ("conversation_sid", form["ConversationSid"]), ("message_sid", message_sid),
                ("author", form.get("Author")), ("participant_sid", form.get("ParticipantSid"))) if value}})
        if member_id:
            from shared.members import service as members

            members.mark_active(tenant, member_id, at, "receiveInboundMessage")
    record_message(tenant, conversation["id"], message_sid, sent_at=at, operation="receiveTwilioConversationEvent")


def _reapply_conversation_message(tenant: str, form: Mapping[str, str]) -> None:
    from shared.conversations.service import find_by_sid

    conversation = find_by_sid(form["ConversationSid"])
    if conversation is None or conversation["client_id"] != tenant:
        raise NotApplied(f"no conversation {form['ConversationSid']} of this tenant")
    apply_conversation_message(tenant, conversation, form)


def _posted_by_us(tenant: str, attributes: str | None) -> bool:
    """Whether the message's attributes name a communication of this tenant (what the sender puts there)."""
    try:
        named = json.loads(attributes or "{}")
    except ValueError:
        return False
    comm_id = named.get("communication_id") if isinstance(named, dict) else None
    return isinstance(comm_id, str) and comms.find(tenant, comm_id) is not None


def twiml(message: str | None = None) -> str:
    """A TwiML answer: one message back, or nothing."""
    from twilio.twiml.messaging_response import MessagingResponse

    answer = MessagingResponse()
    if message:
        answer.message(message)
    return str(answer)


def email_applier(client_id: str, comm_id: str, event: dict) -> Callable[[received.Webhook], None]:
    """What applies one SendGrid event (bound now: the caller loops over a post's events)."""
    return lambda _: apply_email_event(client_id, comm_id, event)


def apply_email_event(client_id: str, comm_id: str, event: Mapping[str, Any]) -> None:
    kind = str(event["event"])
    if kind in EMAIL_OPT_OUTS and event.get("email"):
        from shared.messaging import store as consent

        consent.record_consent(client_id, "email", str(event["email"]).lower(), opted_out=True, source="email_event",
                               keyword=kind)
    target = SENDGRID_STATUS.get(kind)
    if target is None:
        return
    fields: dict[str, Any] = {"provider_status": kind}
    if target in comms.TERMINAL:
        fields.update(error_code=str(event.get("status") or kind),
                      error_message=str(event.get("reason") or f"sendgrid reported it {kind}")[:1000])
    message_id = str(event.get("sg_message_id") or "").split(".", 1)[0] or None
    report(client_id, comm_id, target, fields, f"sendgrid event: {kind}", message_id)
