"""Message status callbacks from the Twilio fake, signed exactly as Twilio signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from shared import clock

from .twilio_api import API_VERSION, rfc2822

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .state import FakeState

MESSAGE_STATUSES = frozenset(
    {
        "queued",
        "sending",
        "sent",
        "failed",
        "delivered",
        "undelivered",
        "accepted",
        "scheduled",
        "read",
        "canceled",
    }
)
_HANDED_OFF = frozenset({"sent", "delivered", "undelivered", "read"})  # Twilio sets date_sent from here on


class CallbackError(Exception):
    """The callback could not be sent; `status` is the HTTP status the control API answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1, keyed by the auth token, of the URL followed by every
    POST parameter's name and value in name order."""
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def send_status_callback(
    state: FakeState, sid: str, status: str, error_code: int | None = None
) -> dict[str, Any]:
    """Move message `sid` to `status` and POST Twilio's status callback to its StatusCallback URL."""
    url, params, headers = status_callback(state, sid, status, error_code)
    request = urllib.request.Request(
        url, data=urlencode(params).encode("utf-8"), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answered = response.status
    except urllib.error.HTTPError as exc:
        answered = exc.code  # the receiver answered; report its status like Twilio's debugger would
    except (urllib.error.URLError, OSError) as exc:
        raise CallbackError(502, f"callback to {url} failed: {exc}") from None
    return {"url": url, "status": answered, "params": params}


def status_callback(
    state: FakeState, sid: str, status: str, error_code: int | None = None
) -> tuple[str, dict[str, str], dict[str, str]]:
    """Move message `sid` to `status`; the URL, form and headers of the callback Twilio would post (a
    bench applies it in its own thread, to count what applying it costs)."""
    if status not in MESSAGE_STATUSES:
        raise CallbackError(400, f"status must be one of {sorted(MESSAGE_STATUSES)}")
    url, params = _advance(state, sid, status, error_code)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
        "X-Twilio-Signature": signature(url, params, state.credentials.twilio_auth_token),
    }
    return url, params, headers


AUTO_DELAY_S = 0.2  # after the send's answer, as Twilio's callbacks come after its 201


def post_later(state: FakeState, sid: str, statuses: list[str]) -> None:
    """Post `statuses` to message `sid`'s StatusCallback one after another, once the send has been answered
    (a thread: the sender is still waiting for the 201)."""
    def run() -> None:
        threading.Event().wait(AUTO_DELAY_S)
        for status in statuses:
            try:
                send_status_callback(state, sid, status)
            except CallbackError as exc:  # the API is gone (stopped), or the message was cleared
                logging.getLogger(__name__).debug("automatic status callback not sent: %s", exc)
                return

    threading.Thread(target=run, name=f"twilio-callbacks-{sid}", daemon=True).start()


def _advance(state: FakeState, sid: str, status: str, error_code: int | None) -> tuple[str, dict[str, str]]:
    """Update the stored message; returns the callback URL and the form fields Twilio would post."""
    now = clock.now()
    with state.lock:
        entry = state.messages.get(sid)
        if entry is None:
            raise CallbackError(404, f"no message {sid}")
        if not entry["callback"]:
            raise CallbackError(409, f"message {sid} was sent without a StatusCallback")
        resource = entry["resource"]
        resource.update(status=status, date_updated=rfc2822(now), error_code=error_code)
        if status in _HANDED_OFF and entry["sent"] is None:
            entry["sent"] = now
            resource["date_sent"] = rfc2822(now)
        params = {
            "AccountSid": resource["account_sid"],
            "ApiVersion": API_VERSION,
            "From": resource["from"],
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": resource["to"],
        }
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return entry["callback"], params
