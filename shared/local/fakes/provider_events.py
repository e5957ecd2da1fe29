"""Callbacks the fakes post to the API as the providers would: a Twilio inbound message from a number and a
Conversations onMessageAdded (signed with X-Twilio-Signature, like the status callbacks of twilio_callbacks)
and SendGrid's event
webhook (signed with the fakes' ECDSA P-256 key, whose public half the local runtime configures as
SENDGRID_WEBHOOK_PUBLIC_KEY)."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from shared import clock

from .twilio_callbacks import CallbackError, signature

if TYPE_CHECKING:
    from .state import FakeState

SENDGRID_EVENTS = frozenset({"processed", "delivered", "open", "click", "bounce", "dropped", "deferred",
                             "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe"})


class EventKey:
    """The fakes' SendGrid event webhook key pair (made once per fakes instance)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self._private = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key(self) -> str:
        """The verification key as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo."""
        from cryptography.hazmat.primitives import serialization

        der = self._private.public_key().public_bytes(serialization.Encoding.DER,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode("ascii")

    def sign(self, timestamp: str, body: bytes) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        return base64.b64encode(self._private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST to the API; (its status, its answer's text)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        raise CallbackError(502, f"callback to {url} failed: {exc}") from None


def inbound_message(state: FakeState, url: str, sender: str, to: str, body: str,
                    media_urls: list[str] | None = None, opt_out_type: str | None = None) -> dict[str, Any]:
    """POST Twilio's inbound message webhook for a message from `sender` to our number `to`."""
    sid = "SM" + secrets.token_hex(16)
    params = {"AccountSid": state.credentials.twilio_account_sid, "ApiVersion": "2010-04-01", "Body": body,
              "From": sender, "MessageSid": sid, "NumMedia": str(len(media_urls or ())), "NumSegments": "1",
              "SmsMessageSid": sid, "SmsSid": sid, "SmsStatus": "received", "To": to}
    for n, media in enumerate(media_urls or ()):
        params[f"MediaUrl{n}"] = media
    if opt_out_type:
        params["OptOutType"] = opt_out_type
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1",
               "X-Twilio-Signature": signature(url, params, state.credentials.twilio_auth_token)}
    status, answer = post(url, urlencode(params).encode("utf-8"), headers)
    return {"url": url, "status": status, "answer": answer, "params": params}


def conversation_inbound(state: FakeState, url: str, conversation_sid: str, author: str, body: str,
                         attributes: str = "{}") -> dict[str, Any]:
    """A participant (`author`: an identity or an address) writes into the conversation: the message is stored
    there, then Twilio's onMessageAdded webhook is posted."""
    from . import twilio_conversations_api as conversations

    conversation = conversations.find(state, conversation_sid)
    if conversation is None:
        raise CallbackError(404, f"no conversation {conversation_sid}")
    participant = conversations.participant_of(state, conversation, author)
    message = conversations.add_message(state, conversation, body, author, attributes, participant)
    return conversation_event(state, url, conversation_sid, message["sid"])


def conversation_event(state: FakeState, url: str, conversation_sid: str, message_sid: str) -> dict[str, Any]:
    """POST Twilio's onMessageAdded webhook for a message of the conversation (again: Twilio's retry, the same
    I-Twilio-Idempotency-Token), with the fields Twilio posts, signed."""
    from . import twilio_conversations_api as conversations

    conversation = conversations.find(state, conversation_sid)
    with state.lock:
        found = [m for m in (conversation or {}).get("messages", ()) if m["sid"] == message_sid]
        if not found:
            raise CallbackError(404, f"no message {message_sid} in conversation {conversation_sid}")
        assert conversation is not None
        message, resource = dict(found[0]), conversation["resource"]
        token = conversation.setdefault("event_tokens", {}).setdefault(message_sid, secrets.token_hex(16))
    params = {"AccountSid": resource["account_sid"], "Attributes": message["attributes"], "Author": message["author"],
              "Body": message["body"] or "", "ChatServiceSid": resource["chat_service_sid"],
              "ConversationSid": conversation_sid, "DateCreated": message["date_created"],
              "EventType": "onMessageAdded", "Index": str(message["index"]), "MessageSid": message_sid,
              "MessagingServiceSid": resource["messaging_service_sid"], "RetryCount": "0",
              "Source": "SDK" if message["participant_sid"] else "API"}
    if message["participant_sid"]:
        params["ParticipantSid"] = message["participant_sid"]
    headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1",
               "I-Twilio-Idempotency-Token": token,
               "X-Twilio-Signature": signature(url, params, state.credentials.twilio_auth_token)}
    status, answer = post(url, urlencode(params).encode("utf-8"), headers)
    return {"url": url, "status": status, "answer": answer, "params": params, "headers": headers}


def sendgrid_event(state: FakeState, message_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    """One SendGrid event about an email the fake accepted: its address, custom_args and ids as SendGrid
    writes them (custom_args at the top level of the event)."""
    if kind not in SENDGRID_EVENTS:
        raise CallbackError(400, f"event must be one of {sorted(SENDGRID_EVENTS)}")
    sent = [e for e in state.outbox("sendgrid") if e["id"] == message_id]
    if not sent:
        raise CallbackError(404, f"no email {message_id}")
    email = sent[0]
    return {**(email.get("custom_args") or {}), "email": email["to"], "event": kind,
            "sg_event_id": base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("="),
            "sg_message_id": f"{message_id}.filter0001.{secrets.token_hex(4)}", "timestamp": clock.now_s(), **extra}


def sendgrid_events(state: FakeState, key: EventKey, url: str, events: Any,
                    timestamp: int | None = None) -> dict[str, Any]:
    """POST SendGrid's event webhook with `events` (any JSON: a test posts what SendGrid never would), signed
    at `timestamp` (default: now)."""
    body = json.dumps(events, separators=(",", ":")).encode("utf-8")
    stamp = str(timestamp if timestamp is not None else clock.now_s())
    headers = {"Content-Type": "application/json", "User-Agent": "SendGrid Event API",
               "X-Twilio-Email-Event-Webhook-Signature": key.sign(stamp, body),
               "X-Twilio-Email-Event-Webhook-Timestamp": stamp}
    status, answer = post(url, body, headers)
    return {"url": url, "status": status, "answer": answer, "events": events, "headers": headers}
