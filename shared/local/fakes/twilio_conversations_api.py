"""Fake of Twilio's Conversations API v1 (conversations.twilio.com): conversations (create, fetch by sid
or unique name, update), participants (add) and messages (create, list); a participant's own message is
added by `add_message` (the control API's conversation inbound, shared.local.fakes.provider_events).

Answers are shaped like Twilio's so the real SDK parses them: ISO 8601 dates, attributes as a JSON
string, the v1 paging envelope (`meta.key`), and the legacy error JSON that `twilio_api.error_reply`
builds; a fault injected for "twilio" applies here too (`fault_reply` is Twilio's). Accepted messages
also go to the outbox (kind "conversation"). Local runtime only.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from shared import clock

from . import twilio_api
from .twilio_api import error_reply
from .wire import FakeRequest, Reply, first, json_reply

if TYPE_CHECKING:
    from datetime import datetime

    from .state import FakeState

_HOST = "https://conversations.twilio.com"
_ROUTE = re.compile(r"^/v1/Conversations(?:/(?P<ref>[^/]+)(?:/(?P<sub>Participants|Messages))?)?$")
_STATES = ("active", "inactive", "closed")
_DEFAULT_PAGE_SIZE = 50
_MAX_PAGE_SIZE = 100
# Twilio's codes for what this fake refuses.
_NAME_TAKEN = 50353
_PARTICIPANT_EXISTS = 50416
_INVALID = 20001


fault_reply = twilio_api.fault_reply  # a broken or busy Twilio answers alike on every API


def handle(state: FakeState, request: FakeRequest) -> Reply:
    """Route one Conversations API request."""
    if not twilio_api._authorized(state, request):  # one account, one check for every Twilio API
        return error_reply(401, 20003, "Authenticate")
    match = _ROUTE.match(request.path)
    if match is None:
        return _not_found(request.path)
    ref, sub = match["ref"], match["sub"]
    if ref is None:
        return _create(state, request.form()) if request.method == "POST" else _not_found(request.path)
    with state.lock:
        conversation = _find(state, ref)
    if conversation is None:
        return _not_found(request.path)
    route = {(None, "GET"): _fetch, (None, "POST"): _update, ("Participants", "POST"): _add_participant,
             ("Messages", "POST"): _create_message, ("Messages", "GET"): _list_messages}.get((sub, request.method))
    return route(state, conversation, request) if route else _not_found(request.path)


def _create(state: FakeState, form: dict[str, list[str]]) -> Reply:
    unique_name = first(form, "UniqueName") or None
    attributes = first(form, "Attributes", "{}")
    if not _is_json(attributes):
        return error_reply(400, _INVALID, "Attributes must be a valid JSON string")
    state_value = first(form, "State", "active")
    if state_value not in _STATES:
        return error_reply(400, _INVALID, f"Invalid State {state_value}")
    now = clock.now()
    sid = "CH" + uuid.uuid4().hex
    account = state.credentials.twilio_account_sid
    resource = {
        "account_sid": account,
        "chat_service_sid": "IS" + uuid.uuid5(uuid.NAMESPACE_URL, account).hex,
        "messaging_service_sid": "MG" + uuid.uuid5(uuid.NAMESPACE_DNS, account).hex,
        "sid": sid,
        "friendly_name": first(form, "FriendlyName") or None,
        "unique_name": unique_name,
        "attributes": attributes,
        "state": state_value,
        "date_created": _iso(now),
        "date_updated": _iso(now),
        "timers": {},
        "url": f"{_HOST}/v1/Conversations/{sid}",
        "links": {name.lower(): f"{_HOST}/v1/Conversations/{sid}/{name}"
                  for name in ("Participants", "Messages", "Webhooks")},
        "bindings": None,
    }
    with state.lock:
        if unique_name and _find(state, unique_name) is not None:
            return error_reply(409, _NAME_TAKEN, "Conversation with provided unique name already exists")
        state.conversations[sid] = {"resource": resource, "participants": [], "messages": []}
    return json_reply(201, resource)


def _fetch(state: FakeState, conversation: dict[str, Any], request: FakeRequest) -> Reply:
    with state.lock:
        return json_reply(200, dict(conversation["resource"]))


def _update(state: FakeState, conversation: dict[str, Any], request: FakeRequest) -> Reply:
    form = request.form()
    changes = {field: first(form, name) for name, field in (("FriendlyName", "friendly_name"), ("State", "state"),
                                                            ("Attributes", "attributes")) if name in form}
    if changes.get("state", "active") not in _STATES:
        return error_reply(400, _INVALID, f"Invalid State {changes['state']}")
    if not _is_json(changes.get("attributes", "{}")):
        return error_reply(400, _INVALID, "Attributes must be a valid JSON string")
    with state.lock:
        resource = conversation["resource"]
        resource.update(changes, date_updated=_iso(clock.now()))
        return json_reply(200, dict(resource))


def _add_participant(state: FakeState, conversation: dict[str, Any], request: FakeRequest) -> Reply:
    form = request.form()
    identity = first(form, "Identity") or None
    address, proxy = first(form, "MessagingBinding.Address") or None, first(form, "MessagingBinding.ProxyAddress")
    if not identity and not address:
        return error_reply(400, _INVALID, "Identity or MessagingBinding.Address is required")
    if address and not proxy:
        return error_reply(400, _INVALID, "MessagingBinding.ProxyAddress is required with an address")
    sid, now = "MB" + uuid.uuid4().hex, clock.now()
    resource = {
        "account_sid": state.credentials.twilio_account_sid,
        "conversation_sid": conversation["resource"]["sid"],
        "sid": sid,
        "identity": identity,
        "attributes": first(form, "Attributes", "{}"),
        "messaging_binding": {"type": "sms", "address": address, "proxy_address": proxy} if address else None,
        "role_sid": None,
        "date_created": _iso(now),
        "date_updated": _iso(now),
        "url": f"{conversation['resource']['url']}/Participants/{sid}",
        "last_read_message_index": None,
        "last_read_timestamp": None,
    }
    with state.lock:
        for other in conversation["participants"]:
            if (identity and other["identity"] == identity) or (
                    address and (other["messaging_binding"] or {}).get("address") == address):
                return error_reply(409, _PARTICIPANT_EXISTS, "A participant with this identity or address "
                                   "already exists in the conversation")
        conversation["participants"].append(resource)
    return json_reply(201, resource)


def _create_message(state: FakeState, conversation: dict[str, Any], request: FakeRequest) -> Reply:
    form = request.form()
    body = first(form, "Body")
    if not body and not first(form, "MediaSid"):
        return error_reply(400, _INVALID, "Body or MediaSid is required")
    attributes = first(form, "Attributes", "{}")
    if not _is_json(attributes):
        return error_reply(400, _INVALID, "Attributes must be a valid JSON string")
    return json_reply(201, add_message(state, conversation, body, first(form, "Author") or "system", attributes))


def add_message(state: FakeState, conversation: dict[str, Any], body: str, author: str, attributes: str = "{}",
                participant_sid: str | None = None) -> dict[str, Any]:
    """Add a message to the conversation (posted through the API, or by a participant) and to the outbox."""
    sid, now = "IM" + uuid.uuid4().hex, clock.now()
    with state.lock:
        messages = conversation["messages"]
        resource = {
            "account_sid": state.credentials.twilio_account_sid,
            "conversation_sid": conversation["resource"]["sid"],
            "sid": sid,
            "index": len(messages),
            "author": author,
            "body": body,
            "media": None,
            "attributes": attributes,
            "participant_sid": participant_sid,
            "date_created": _iso(now),
            "date_updated": _iso(now),
            "url": f"{conversation['resource']['url']}/Messages/{sid}",
            "delivery": None,
            "links": {},
            "content_sid": None,
        }
        messages.append(resource)
    state.record("twilio", "conversation", sid, to=conversation["resource"]["sid"], sender=author, body=body)
    return dict(resource)


def participant_of(state: FakeState, conversation: dict[str, Any], author: str) -> str:
    """The sid of the participant whose identity or address is `author`, added as a chat participant when the
    conversation has none (someone joining to write)."""
    with state.lock:
        for other in conversation["participants"]:
            if author in (other["identity"], (other["messaging_binding"] or {}).get("address")):
                return str(other["sid"])
        sid, now = "MB" + uuid.uuid4().hex, _iso(clock.now())
        conversation["participants"].append({
            "account_sid": state.credentials.twilio_account_sid, "conversation_sid": conversation["resource"]["sid"],
            "sid": sid, "identity": author, "attributes": "{}", "messaging_binding": None, "role_sid": None,
            "date_created": now, "date_updated": now, "url": f"{conversation['resource']['url']}/Participants/{sid}",
            "last_read_message_index": None, "last_read_timestamp": None})
        return sid


def find(state: FakeState, ref: str) -> dict[str, Any] | None:
    """A conversation by sid or unique name."""
    with state.lock:
        return _find(state, ref)


def _list_messages(state: FakeState, conversation: dict[str, Any], request: FakeRequest) -> Reply:
    query = request.query
    try:
        size = min(max(int(first(query, "PageSize", str(_DEFAULT_PAGE_SIZE))), 1), _MAX_PAGE_SIZE)
        page = max(int(first(query, "Page", "0")), 0)
    except ValueError:
        return error_reply(400, _INVALID, "Invalid query parameter")
    order = first(query, "Order", "asc")
    with state.lock:
        messages = [dict(m) for m in conversation["messages"]]
    if order == "desc":
        messages.reverse()
    start = page * size
    base = f"{_HOST}{request.path}"

    def url(number: int) -> str:
        return f"{base}?{urlencode({'Order': order, 'PageSize': size, 'Page': number})}"

    return json_reply(200, {"messages": messages[start:start + size],
                            "meta": {"page": page, "page_size": size, "first_page_url": url(0),
                                     "previous_page_url": url(page - 1) if page else None, "url": url(page),
                                     "next_page_url": url(page + 1) if start + size < len(messages) else None,
                                     "key": "messages"}})


def _find(state: FakeState, ref: str) -> dict[str, Any] | None:
    """A conversation by sid or unique name (the caller holds the lock)."""
    found = state.conversations.get(ref)
    if found is not None:
        return found
    return next((c for c in state.conversations.values() if c["resource"]["unique_name"] == ref), None)


def _not_found(path: str) -> Reply:
    return error_reply(404, 20404, f"The requested resource {path} was not found")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _iso(moment: datetime) -> str:
    """Twilio v1's timestamps, e.g. "2024-06-04T12:00:00Z"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
