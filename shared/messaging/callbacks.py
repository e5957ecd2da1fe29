"""Provider callbacks: Twilio's status callbacks, inbound messages and Conversations events, SendGrid's event
webhook.

Each request proves where it comes from first: Twilio's X-Twilio-Signature (HMAC-SHA1 of the URL it
called and the form, checked by the twilio SDK's RequestValidator against our public URL: API Gateway
changes the host and port Twilio called), SendGrid's ECDSA signature over timestamp + body (the sendgrid
SDK's EventWebhook helper, with the key of SENDGRID_WEBHOOK_PUBLIC_KEY) and a timestamp at most 5 minutes
old (the helper checks the signature only). Anything else is a 403 and nothing is stored.

Then every event is stored once (shared.webhooks.store.receive, by the provider's event id) before it is
applied (shared.messaging.provider_events), and settled processed or failed (with why, retryable:
retryFailedWebhooks, or the provider's own redelivery of an event stored failed). A duplicate or replay
of an applied event changes nothing. Status callbacks name their communication in the URL Twilio signs
(shared.messaging.sender), SendGrid's events in their `custom_args`; an inbound message's tenant is the one
whose `sms.default_sender` is its `To` number (shared.messaging.projections); a Conversations event's, the one
whose conversation its ConversationSid is (the sid's platform-wide claim).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from shared import clock
from shared.core import settings
from shared.core.log import logger
from shared.errors import Forbidden, ValidationFailed
from shared.messaging import provider_events

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_AGE_S, MAX_SKEW_S = 300, 60  # a SendGrid post older than 5 minutes, or this far ahead, is refused
MAX_EVENTS = 1000  # per SendGrid post (it batches at most a few hundred)
CONVERSATION_MESSAGE_ADDED = "onMessageAdded"  # the Conversations post-event we subscribe to


# --- signatures ----------------------------------------------------------------------------------
def signed_url(url: str) -> str:
    """The URL as the provider called it: our public base URL with the path and query of the request."""
    base = settings.PUBLIC_BASE_URL.get().rstrip("/")
    if not base:
        return url
    parts = urlsplit(url)
    return base + parts.path + (f"?{parts.query}" if parts.query else "")


def verify_twilio(url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> None:
    """403 unless X-Twilio-Signature is Twilio's for this URL and form."""
    from twilio.request_validator import RequestValidator

    from shared.providers import twilio_sms

    signature = headers.get("x-twilio-signature")
    if not signature:
        raise Forbidden("X-Twilio-Signature is missing", field="/headers/x-twilio-signature")
    if not RequestValidator(twilio_sms.load_config().auth_token).validate(signed_url(url), dict(form), signature):
        raise Forbidden("X-Twilio-Signature does not match the request", field="/headers/x-twilio-signature")


def verify_sendgrid(body: bytes, headers: Mapping[str, str]) -> None:
    """403 unless the post carries SendGrid's signature of its timestamp and body, made within 5 minutes."""
    import binascii

    from sendgrid.helpers.eventwebhook import EventWebhook

    signature = headers.get("x-twilio-email-event-webhook-signature")
    stamp = headers.get("x-twilio-email-event-webhook-timestamp")
    field = "/headers/x-twilio-email-event-webhook-signature"
    if not signature or not stamp:
        raise Forbidden("the event webhook's signature and timestamp headers are missing", field=field)
    if not stamp.isdigit():
        raise Forbidden("the event webhook's timestamp is not epoch seconds",
                        field="/headers/x-twilio-email-event-webhook-timestamp")
    age = clock.now_s() - int(stamp)
    if age > MAX_AGE_S or age < -MAX_SKEW_S:
        raise Forbidden(f"the event webhook's timestamp is {'stale' if age > 0 else 'in the future'}: a replay "
                        "or a clock far off", field="/headers/x-twilio-email-event-webhook-timestamp")
    key = settings.SENDGRID_WEBHOOK_PUBLIC_KEY.get()
    if not key:
        raise Forbidden("no SendGrid verification key is configured: every event post is refused", field=field)
    helper = EventWebhook()
    try:
        good = helper.verify_signature(body.decode("utf-8"), signature, stamp, helper.convert_public_key_to_ecdsa(key))
    except (ValueError, binascii.Error, UnicodeDecodeError):  # not base64, not a DER signature, not UTF-8
        good = False
    if not good:
        raise Forbidden("the event webhook's signature does not match the request", field=field)


# --- Twilio ----------------------------------------------------------------------------------------
def twilio_status(url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> bool:
    """A Twilio status callback (signed): stored once by its idempotency token, else MessageSid +
    MessageStatus, then applied. True when applied now (False: a duplicate)."""
    verify_twilio(url, form, headers)
    named = dict(parse_qsl(urlsplit(url).query))
    client_id, comm_id = named.get("client_id"), named.get("communication_id")
    if not client_id or not comm_id:
        raise ValidationFailed("the status callback URL names no communication (client_id and communication_id)",
                               field="/query/communication_id")
    status = form["MessageStatus"]
    event_id = headers.get("i-twilio-idempotency-token") or f"{form['MessageSid']}:{status}"
    applied, _ = provider_events.store_and_apply(
        client_id, "twilio", f"message.{status}", event_id, dict(form), comm_id,
        lambda _: provider_events.apply_twilio_status(client_id, comm_id, form))
    return applied


def tenant_of_number(number: str) -> str | None:
    """The tenant whose declared SMS sender is `number` (None: nobody's, or two tenants')."""
    from shared.db import query
    from shared.db.projections import SearchToken
    from shared.messaging.projections import sender_partition

    found, _ = query.page(SearchToken, sender_partition(number), limit=2)
    if len(found) != 1:
        if found:
            logger.warning("an SMS sender is declared by several tenants: inbound messages to it are refused",
                           extra={"tenants": [t.SK for t in found]})
        return None
    return found[0].SK


def twilio_inbound(url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> str:
    """An inbound SMS or MMS (signed): the TwiML to answer with."""
    verify_twilio(url, form, headers)
    tenant = tenant_of_number(form["To"])
    if tenant is None:
        logger.warning("an inbound message to a number no tenant declares", extra={"message_sid": form["MessageSid"]})
        return provider_events.twiml()
    applied, answer = provider_events.store_and_apply(
        tenant, "twilio", "message.inbound", form["MessageSid"], dict(form), None,
        lambda event: provider_events.apply_inbound(tenant, event.id, form))
    if not applied:  # a duplicate: the same answer, nothing written again
        return provider_events.keyword_answer(tenant, provider_events.keyword_of(form)[0])
    return answer if answer is not None else provider_events.twiml()


def twilio_conversation(url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> None:
    """A Twilio Conversations post-event webhook (signed): an onMessageAdded stored once by its idempotency
    token, else MessageSid + EventType, under the tenant whose conversation the sid names, then applied.
    Another event type, or a sid no conversation of ours has, is answered and left (logged)."""
    verify_twilio(url, form, headers)
    kind, sid = form["EventType"], form["ConversationSid"]
    if kind != CONVERSATION_MESSAGE_ADDED:  # only onMessageAdded is subscribed: another is a misconfiguration
        logger.warning("a conversation event of a type we do not read", extra={"event_type": kind})
        return
    from shared.conversations.service import find_by_sid

    conversation = find_by_sid(sid)
    if conversation is None:
        # Like an inbound SMS to a number no tenant declares: the tenant is what an event is stored under, and
        # no record names this sid. Ours are recorded before anyone is added to them, so it is not a race.
        logger.warning("a conversation event for a conversation we have no record of",
                       extra={"conversation_sid": sid, "message_sid": form["MessageSid"]})
        return
    tenant = conversation["client_id"]
    event_id = headers.get("i-twilio-idempotency-token") or f"{form['MessageSid']}:{kind}"
    provider_events.store_and_apply(
        tenant, "twilio", provider_events.CONVERSATION_EVENT, event_id, dict(form), None,
        lambda _: provider_events.apply_conversation_message(tenant, conversation, form))


# --- SendGrid --------------------------------------------------------------------------------------
def sendgrid_events(body: bytes, headers: Mapping[str, str]) -> dict:
    """A SendGrid event webhook post (signed, fresh): each event stored once by sg_event_id, then applied.
    Events that name no communication of ours (no custom_args) are counted and left."""
    verify_sendgrid(body, headers)
    try:
        events = json.loads(body)
    except ValueError:
        raise ValidationFailed("the body is not JSON", field="/body") from None
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        raise ValidationFailed(f"the body must be a JSON array of at most {MAX_EVENTS} events", field="/body")
    for n, event in enumerate(events):  # all checked before any is stored: a refused post changes nothing
        if not isinstance(event, dict) or not isinstance(event.get("sg_event_id"), str) \
                or not isinstance(event.get("event"), str) or not event["sg_event_id"] or not event["event"]:
            raise ValidationFailed("each event is an object with sg_event_id and event", field=f"/body/{n}")
    counts = {"applied": 0, "duplicates": 0, "ignored": 0}
    for event in events:
        client_id, comm_id = event.get("client_id"), event.get("communication_id")
        if not isinstance(client_id, str) or not isinstance(comm_id, str) or not client_id or not comm_id:
            counts["ignored"] += 1
            continue
        applied, _ = provider_events.store_and_apply(client_id, "sendgrid", event["event"], event["sg_event_id"],
                                                     event, comm_id,
                                                     provider_events.email_applier(client_id, comm_id, event))
        counts["applied" if applied else "duplicates"] += 1
    return counts
