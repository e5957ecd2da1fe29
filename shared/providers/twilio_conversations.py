"""Conversations (threads of messages with participants) through Twilio's official SDK.

Uses `client.conversations.v1` with the same client, settings and error mapping as `twilio_sms` (the
SDK loads on the first call; TWILIO_API_BASE points its transport at the local fake). Every
conversation is created with a `unique_name` the caller chooses, so a create whose answer was lost
(a timeout, a 5xx after the request went out) is settled by fetching that name: it never makes a
second conversation.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .errors import ProviderError
from .result import ProviderResult, scrub
from .twilio_sms import _call as call  # one client, one error mapping for every Twilio API
from .twilio_sms import _iso as iso

if TYPE_CHECKING:
    from collections.abc import Mapping

STATES = ("active", "inactive", "closed")  # Twilio's conversation states, ours too
NAME_TAKEN = 50353  # Twilio: "Conversation with provided unique name already exists"
_NOT_FOUND = 404
_CONVERSATION_FIELDS = ("sid", "account_sid", "chat_service_sid", "messaging_service_sid", "friendly_name",
                        "unique_name", "state")
_PARTICIPANT_FIELDS = ("sid", "conversation_sid", "identity", "messaging_binding")
_MESSAGE_FIELDS = ("sid", "conversation_sid", "index", "author", "participant_sid")  # the body may be private


def create_conversation(unique_name: str, *, friendly_name: str | None = None,
                        attributes: Mapping[str, Any] | None = None) -> ProviderResult:
    """Create a conversation named `unique_name` (unique in the Twilio account). Raises ProviderError.

    When the answer is ambiguous, or Twilio says the name is taken (an earlier attempt went through),
    the conversation of that name is fetched and returned instead; only when none exists does the
    original error stand. `status` is the conversation's state."""
    params: dict[str, Any] = {"unique_name": unique_name, "attributes": json.dumps(dict(attributes or {}))}
    if friendly_name is not None:
        params["friendly_name"] = friendly_name
    try:
        conversation = call(lambda client: client.conversations.v1.conversations.create(**params))
    except ProviderError as error:
        if not (error.ambiguous or error.code == NAME_TAKEN):
            raise
        found = _settle(unique_name)
        if found is None:
            raise
        return found
    return _conversation_result(conversation)


def fetch_conversation(sid_or_unique_name: str) -> ProviderResult | None:
    """The conversation with this sid or unique name, or None when Twilio has none. Raises ProviderError."""
    try:
        conversation = call(lambda client: client.conversations.v1.conversations(sid_or_unique_name).fetch(),
                            method="GET")
    except ProviderError as error:
        if error.status == _NOT_FOUND:
            return None
        raise
    return _conversation_result(conversation)


def update_conversation(sid: str, *, friendly_name: str | None = None, state: str | None = None) -> ProviderResult:
    """Rename it or move its state (active, inactive, closed: Twilio never reopens a closed one).
    An update sets values, so repeating it is harmless. Raises ProviderError."""
    params = {name: value for name, value in (("friendly_name", friendly_name), ("state", state)) if value is not None}
    conversation = call(lambda client: client.conversations.v1.conversations(sid).update(**params))
    return _conversation_result(conversation)


def add_participant(sid: str, *, identity: str | None = None, address: str | None = None,
                    proxy_address: str | None = None) -> ProviderResult:
    """Add a chat participant (`identity`) or an SMS one (`address`, reached from our `proxy_address`).
    Raises ProviderError."""
    params = {name: value for name, value in (("identity", identity), ("messaging_binding_address", address),
                                              ("messaging_binding_proxy_address", proxy_address)) if value}
    participant = call(lambda client: client.conversations.v1.conversations(sid).participants.create(**params))
    raw = {name: getattr(participant, name, None) for name in _PARTICIPANT_FIELDS}
    raw["date_created"] = iso(participant.date_created)
    return ProviderResult(provider_id=participant.sid, status="added", raw=scrub(raw))


def send_message(sid: str, body: str, *, author: str | None = None,
                 attributes: Mapping[str, Any] | None = None) -> ProviderResult:
    """Post a message to the conversation (Twilio relays it to every participant). Raises ProviderError;
    on `ambiguous` settle with `list_messages` before posting again."""
    params: dict[str, Any] = {"body": body}
    if author:
        params["author"] = author
    if attributes:
        params["attributes"] = json.dumps(dict(attributes))
    message = call(lambda client: client.conversations.v1.conversations(sid).messages.create(**params))
    return _message_result(message)


def list_messages(sid: str, *, newest_first: bool = True, limit: int = 50) -> list[ProviderResult]:
    """The conversation's messages, newest first by default (at most `limit`). Raises ProviderError."""
    order = "desc" if newest_first else "asc"

    def collect(client: Any) -> list[ProviderResult]:
        messages = client.conversations.v1.conversations(sid).messages
        return [_message_result(m) for m in messages.stream(order=order, limit=limit, page_size=min(limit, 50))]

    return call(collect, method="GET")


def attributes_of(result: ProviderResult) -> dict[str, Any]:
    """The JSON attributes a conversation or message carries (empty when none or not JSON)."""
    try:
        value = json.loads(result.raw.get("attributes") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _settle(unique_name: str) -> ProviderResult | None:
    """The conversation an unanswered create may have made, or None when it certainly made none."""
    try:
        return fetch_conversation(unique_name)
    except ProviderError:
        return None  # cannot tell: the create's own error (ambiguous) is what the caller must hear


def _conversation_result(conversation: Any) -> ProviderResult:
    raw = {name: getattr(conversation, name, None) for name in _CONVERSATION_FIELDS}
    raw["attributes"] = conversation.attributes
    raw["date_created"] = iso(conversation.date_created)
    raw["date_updated"] = iso(conversation.date_updated)
    return ProviderResult(provider_id=conversation.sid, status=str(conversation.state), raw=scrub(raw))


def _message_result(message: Any) -> ProviderResult:
    raw = {name: getattr(message, name, None) for name in _MESSAGE_FIELDS}
    raw["attributes"] = message.attributes
    raw["date_created"] = iso(message.date_created)
    return ProviderResult(provider_id=message.sid, status="sent", raw=scrub(raw))
