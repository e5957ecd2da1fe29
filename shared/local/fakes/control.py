"""The fakes' control API under /_fake/: outbox, fault injection, and the callbacks the providers post:
Twilio status callbacks, inbound messages and Conversations events, SendGrid events."""

from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any

from .twilio_callbacks import MESSAGE_STATUSES, CallbackError
from .wire import FakeRequest, Reply, first, json_reply

if TYPE_CHECKING:
    from collections.abc import Callable

    from .providers import ProviderFakes

_FAULT_FIELDS = ("provider", "mode", "count", "retry_after", "delay")


def handle(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    """Route one control request."""
    route = _ROUTES.get((request.method, request.path))
    conversation = _CONVERSATION_ROUTE.match(request.path) if request.method == "POST" else None
    if conversation is not None:
        route = functools.partial(_CONVERSATION_ROUTES[conversation["action"]], sid=conversation["sid"])
    if route is None:
        return json_reply(404, {"error": f"no control endpoint {request.method} {request.path}"})
    try:
        return route(fakes, request)
    except CallbackError as exc:
        return json_reply(exc.status, {"error": str(exc)})
    except (ValueError, TypeError, KeyError) as exc:  # unparsable JSON or a missing/invalid field
        return json_reply(400, {"error": f"{type(exc).__name__}: {exc}"})


def _outbox(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    return json_reply(200, fakes.outbox(first(request.query, "provider") or None))


def _clear(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    fakes.clear()
    return Reply(204)


def _faults(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    return json_reply(200, fakes.state.faults())


def _add_fault(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    body = _object(request)
    fakes.inject_fault(**{name: body[name] for name in _FAULT_FIELDS if name in body})
    return json_reply(201, fakes.state.faults())


def _clear_faults(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    fakes.state.clear_faults()
    return Reply(204)


def _callback(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    body = _object(request)
    result = fakes.send_status_callback(str(body["sid"]), str(body["status"]), body.get("error_code"))
    return json_reply(200, result)


def _auto_callbacks(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    """`{"statuses": ["sent", "delivered"]}`: posted after every send with a StatusCallback (`[]`: none)."""
    statuses = _object(request)["statuses"]
    if not isinstance(statuses, list) or not all(s in MESSAGE_STATUSES for s in statuses):
        raise ValueError(f"statuses must be a list of {sorted(MESSAGE_STATUSES)}")
    fakes.state.auto_callbacks = [str(s) for s in statuses]
    return json_reply(200, {"statuses": fakes.state.auto_callbacks})


def _inbound(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    body = _object(request)
    media = body.get("media_urls")
    if media is not None and not (isinstance(media, list) and all(isinstance(m, str) for m in media)):
        raise ValueError("media_urls must be a list of URLs")
    result = fakes.send_inbound(str(body["from"]), str(body["to"]), str(body.get("body", "")), media_urls=media,
                                opt_out_type=body.get("opt_out_type"), url=body.get("url"))
    return json_reply(200, result)


def _conversation_inbound(fakes: ProviderFakes, request: FakeRequest, sid: str) -> Reply:
    """`{"author": "+14155550142", "body": "..."}`: a participant writes into conversation `sid`."""
    body = _object(request)
    attributes = body.get("attributes", {})
    if not isinstance(attributes, dict):
        raise ValueError("attributes must be an object")
    result = fakes.send_conversation_inbound(sid, str(body["author"]), str(body["body"]),
                                             attributes=json.dumps(attributes), url=body.get("url"))
    return json_reply(200, result)


def _conversation_event(fakes: ProviderFakes, request: FakeRequest, sid: str) -> Reply:
    """`{"message_sid": "IM..."}`: onMessageAdded posted (again) for a message of conversation `sid`."""
    body = _object(request)
    return json_reply(200, fakes.send_conversation_event(sid, str(body["message_sid"]), url=body.get("url")))


def _sendgrid_events(fakes: ProviderFakes, request: FakeRequest) -> Reply:
    """`{"events": [{"message_id", "event", ...}]}`: each made from the email the fake accepted, then posted."""
    body = _object(request)
    wanted = body["events"]
    if not isinstance(wanted, list) or not all(isinstance(e, dict) for e in wanted):
        raise ValueError("events must be a list of objects")
    events = [fakes.sendgrid_event(str(e["message_id"]), str(e["event"]),
                                   **{k: v for k, v in e.items() if k not in ("message_id", "event")})
              for e in wanted]
    result = fakes.send_sendgrid_events(events, timestamp=body.get("timestamp"), url=body.get("url"))
    return json_reply(200, result)


def _object(request: FakeRequest) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


_ROUTES: dict[tuple[str, str], Callable[[ProviderFakes, FakeRequest], Reply]] = {
    ("GET", "/_fake/outbox"): _outbox,
    ("DELETE", "/_fake/outbox"): _clear,
    ("GET", "/_fake/faults"): _faults,
    ("POST", "/_fake/faults"): _add_fault,
    ("DELETE", "/_fake/faults"): _clear_faults,
    ("POST", "/_fake/twilio/callback"): _callback,
    ("POST", "/_fake/twilio/inbound"): _inbound,
    ("POST", "/_fake/twilio/auto-callbacks"): _auto_callbacks,
    ("POST", "/_fake/sendgrid/events"): _sendgrid_events,
}
_CONVERSATION_ROUTE = re.compile(r"^/_fake/twilio/conversations/(?P<sid>[^/]+)/(?P<action>inbound|events)$")
_CONVERSATION_ROUTES = {"inbound": _conversation_inbound, "events": _conversation_event}
