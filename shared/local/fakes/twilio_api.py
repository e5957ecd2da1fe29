"""Fake of Twilio's REST API 2010-04-01: Messages (create, fetch, list) and Calls (create).

Answers are shaped like Twilio's so the real SDK parses them, including the error JSON
(`code`, `message`, `more_info`, `status`) and the magic test numbers Twilio documents for test
credentials.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from shared import clock

from .segments import count_segments
from .twilio_list import list_messages
from .wire import FakeRequest, Reply, first, json_reply, same_secret

if TYPE_CHECKING:
    from datetime import datetime

    from .state import FakeState

API_VERSION = "2010-04-01"
_ROUTE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<rest>.+)$")
_MESSAGE = re.compile(r"^Messages/(?P<sid>(SM|MM)[0-9a-f]{32})\.json$")

# Test-credential magic numbers (Twilio docs, "Test credentials"): (code, message template).
_MESSAGE_TO = {
    "+15005550001": (21211, "The 'To' number {to} is not a valid phone number."),
    "+15005550002": (
        21612,
        "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number.",
    ),
    "+15005550003": (
        21408,
        "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}.",
    ),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number {to} is not a valid mobile number"),
}
_MESSAGE_FROM = {
    "+15005550001": (
        21212,
        "The 'From' number {from_} is not a valid phone number, shortcode, or alphanumeric sender ID.",
    ),
    "+15005550007": (
        21606,
        "The 'From' phone number provided ({from_}) is not a valid message-capable Twilio phone number for this destination.",
    ),
    "+15005550008": (
        21611,
        "This 'From' number ({from_}) has exceeded the maximum number of queued messages",
    ),
}
_CALL_TO = {
    "+15005550001": (21217, "Phone number {to} does not appear to be valid"),
    "+15005550002": (21214, "'To' phone number cannot be reached"),
    "+15005550003": (21215, "Account not authorized to call {to}."),
}
_CALL_FROM = {
    "+15005550001": (
        21212,
        "The 'From' number {from_} is not a valid phone number, shortcode, or alphanumeric sender ID.",
    ),
    "+15005550007": (21210, "The source 'from' phone number is unverified: {from_}"),
}


def handle(state: FakeState, request: FakeRequest) -> Reply:
    """Route one Twilio API request."""
    match = _ROUTE.match(request.path)
    if not _authorized(state, request):
        return error_reply(401, 20003, "Authenticate")
    if match is None or match["account"] != state.credentials.twilio_account_sid:
        return error_reply(404, 20404, f"The requested resource {request.path} was not found")
    account, rest = match["account"], match["rest"]
    if (request.method, rest) == ("POST", "Messages.json"):
        return _create_message(state, account, request.form())
    if (request.method, rest) == ("GET", "Messages.json"):
        return _list_messages(state, request)
    if (request.method, rest) == ("POST", "Calls.json"):
        return _create_call(state, account, request.form())
    message = _MESSAGE.match(rest)
    if request.method == "GET" and message:
        return _fetch_message(state, message["sid"], request.path)
    return error_reply(404, 20404, f"The requested resource {request.path} was not found")


def error_reply(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """Twilio's legacy error body, which the SDK turns into TwilioRestException."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return json_reply(status, body, headers)


def fault_reply(status: int) -> Reply:
    """What Twilio answers when it is overloaded or broken."""
    if status == 429:
        return error_reply(429, 20429, "Too Many Requests")
    return error_reply(status, 20500, "Internal Server Error")


def rfc2822(moment: datetime) -> str:
    """Twilio's timestamp format, e.g. "Tue, 04 Jun 2024 12:00:00 +0000"."""
    return format_datetime(moment)


def _authorized(state: FakeState, request: FakeRequest) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    creds = state.credentials
    # both compared in full (& not and), so a wrong sid and a wrong token take the same time
    return same_secret(user, creds.twilio_account_sid) & same_secret(password, creds.twilio_auth_token)


def _message_problem(to: str, from_: str, body: str, media: list[str]) -> tuple[int, str] | None:
    checks = (
        (not to, 21604, "A 'To' phone number is required."),
        (not from_, 21603, "A 'From' phone number is required."),
        (not body and not media, 21602, "Message body is required."),
        (len(body) > 1600, 21617, "The concatenated message body exceeds the 1600 character limit."),
    )
    for failed, code, message in checks:
        if failed:
            return code, message
    return _MESSAGE_TO.get(to) or _MESSAGE_FROM.get(from_)


def _create_message(state: FakeState, account: str, form: dict[str, list[str]]) -> Reply:
    to, from_, body = first(form, "To"), first(form, "From"), first(form, "Body")
    media = [url for url in form.get("MediaUrl", []) if url]
    problem = _message_problem(to, from_, body, media)
    if problem:
        code, template = problem
        return error_reply(400, code, template.format(to=to, from_=from_))
    now = clock.now()
    sid = ("MM" if media else "SM") + uuid.uuid4().hex
    base = f"/{API_VERSION}/Accounts/{account}/Messages/{sid}"
    resource = {
        "account_sid": account,
        "api_version": API_VERSION,
        "body": body,
        "date_created": rfc2822(now),
        "date_sent": None,  # set when a callback moves it past "queued", as Twilio does on hand-off
        "date_updated": rfc2822(now),
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": from_,
        "messaging_service_sid": None,
        "num_media": str(len(media)),
        "num_segments": str(count_segments(body)),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": to,
        "uri": f"{base}.json",
    }
    callback = first(form, "StatusCallback") or None
    with state.lock:
        state.messages[sid] = {"resource": resource, "created": now, "sent": None, "callback": callback}
    kind = "mms" if media else "sms"
    state.record(
        "twilio", kind, sid, to=to, sender=from_, body=body, media_urls=media, status_callback=callback
    )
    if callback and state.auto_callbacks:
        from .twilio_callbacks import post_later

        post_later(state, sid, list(state.auto_callbacks))
    return json_reply(201, resource)


def _list_messages(state: FakeState, request: FakeRequest) -> Reply:
    try:
        return json_reply(200, list_messages(state, request))
    except ValueError:  # a PageSize, Page or DateSent value that does not parse
        return error_reply(400, 20001, "Invalid query parameter")


def _fetch_message(state: FakeState, sid: str, path: str) -> Reply:
    with state.lock:
        entry = state.messages.get(sid)
        resource = dict(entry["resource"]) if entry else None
    if resource is None:
        return error_reply(404, 20404, f"The requested resource {path} was not found")
    return json_reply(200, resource)


def _call_problem(to: str, from_: str, form: dict[str, list[str]]) -> tuple[int, str] | None:
    checks = (
        (not to, 21201, "No 'To' number is specified"),
        (not from_, 21213, "No 'From' number is specified"),
        (
            not any(first(form, k) for k in ("Url", "Twiml", "ApplicationSid")),
            21205,
            "Url parameter is required.",
        ),
    )
    for failed, code, message in checks:
        if failed:
            return code, message
    return _CALL_TO.get(to) or _CALL_FROM.get(from_)


def _create_call(state: FakeState, account: str, form: dict[str, list[str]]) -> Reply:
    to, from_ = first(form, "To"), first(form, "From")
    problem = _call_problem(to, from_, form)
    if problem:
        code, template = problem
        return error_reply(400, code, template.format(to=to, from_=from_))
    now = clock.now()
    sid = "CA" + uuid.uuid4().hex
    resource: dict[str, Any] = {
        "account_sid": account,
        "answered_by": None,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "from": from_,
        "from_formatted": from_,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "start_time": None,
        "status": "queued",
        "to": to,
        "to_formatted": to,
        "uri": f"/{API_VERSION}/Accounts/{account}/Calls/{sid}.json",
    }
    twiml = first(form, "Twiml") or first(form, "Url")
    state.record(
        "twilio",
        "call",
        sid,
        to=to,
        sender=from_,
        body=twiml,
        status_callback=first(form, "StatusCallback") or None,
    )
    return json_reply(201, resource)
