"""SMS, MMS and voice calls through Twilio's official SDK.

The SDK (and `requests` under it) is imported on the first call, never at import time. When
TWILIO_API_BASE is set the SDK runs unchanged and only its transport is pointed at that base.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from shared.core import settings

from . import config
from .errors import ProviderError, from_twilio
from .result import ProviderResult, scrub

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

T = TypeVar("T")

# Resource fields worth keeping in `raw`. The body is left out on purpose: it may hold a one-time code.
_MESSAGE_FIELDS = (
    "sid",
    "account_sid",
    "status",
    "to",
    "direction",
    "num_segments",
    "num_media",
    "price",
    "price_unit",
    "error_code",
    "error_message",
    "messaging_service_sid",
    "api_version",
)
_CALL_FIELDS = ("sid", "account_sid", "status", "to", "direction", "price", "price_unit", "api_version")
_LIST_PAGE_SIZE = 50


def send_sms(
    to: str,
    from_: str,
    body: str | None,
    media_urls: Sequence[str] | None = None,
    status_callback: str | None = None,
) -> ProviderResult:
    """Send an SMS, or an MMS when `media_urls` is given. Raises ProviderError.

    On `ProviderError.ambiguous` do not resend blindly: settle with `list_recent_messages` first.
    """
    params: dict[str, Any] = {"to": to, "from_": from_}
    if body is not None:
        params["body"] = body
    if media_urls:
        params["media_url"] = list(media_urls)
    if status_callback:
        params["status_callback"] = status_callback
    message = _call(lambda client: client.messages.create(**params))
    return _message_result(message)


def voice_twiml(say: str | None, play_urls: Sequence[str] = ()) -> str:
    """The TwiML of a call that says `say` and plays each URL, in that order (escaped by the SDK)."""
    from twilio.twiml.voice_response import VoiceResponse

    response = VoiceResponse()
    if say:
        response.say(say)
    for url in play_urls:
        response.play(url)
    return str(response)


def place_call(to: str, from_: str, twiml: str, status_callback: str | None = None) -> ProviderResult:
    """Start an outbound call that plays `twiml`. Raises ProviderError."""
    params: dict[str, Any] = {"to": to, "from_": from_, "twiml": twiml}
    if status_callback:
        params["status_callback"] = status_callback
    call = _call(lambda client: client.calls.create(**params))
    raw = {name: getattr(call, name, None) for name in _CALL_FIELDS}
    raw["from"] = call._from  # the SDK names it `_from` on calls but `from_` on messages
    raw["date_created"] = _iso(call.date_created)
    return ProviderResult(
        provider_id=call.sid, status=str(call.status), cost=_cost(call.price), raw=scrub(raw)
    )


def list_recent_messages(
    to: str,
    since: datetime | int,
    *,
    from_: str | None = None,
    body: str | None = None,
    limit: int = 200,
) -> list[ProviderResult]:
    """Messages to `to` created at or after `since` (a datetime, or epoch ms), newest first.

    Used to settle an ambiguous send: pass the same `from_`/`body` to find the very message.
    Filters on creation time client-side rather than with Twilio's DateSent filter, because a
    message still queued has no date_sent yet and the server-side filter would miss it.
    """
    cutoff = _second_floor(since)
    query: dict[str, Any] = {"to": to, "page_size": _LIST_PAGE_SIZE, "limit": limit}
    if from_:
        query["from_"] = from_

    def collect(client: Any) -> list[ProviderResult]:
        found = []
        for message in client.messages.stream(**query):  # Twilio lists newest first
            if message.date_created is not None and message.date_created < cutoff:
                break
            if body is None or message.body == body:
                found.append(_message_result(message))
        return found

    return _call(collect, method="GET")


def load_config() -> config.TwilioConfig:
    """Twilio's settings in effect (the auth token fetched from its secret once)."""
    return config.TwilioConfig(account_sid=settings.TWILIO_ACCOUNT_SID.get(),
                               auth_token=config.secret(settings.TWILIO_AUTH_TOKEN_SECRET_ID),
                               api_base=settings.TWILIO_API_BASE.get().rstrip("/") or None,
                               timeout=config.timeout())


def _call(operation: Callable[[Any], T], *, method: str = "POST") -> T:
    """Run an SDK operation, turning every SDK or transport failure into a ProviderError."""
    from requests import RequestException
    from twilio.base.exceptions import TwilioException

    client = _client(load_config())
    error: ProviderError
    try:
        return operation(client)
    except (TwilioException, RequestException) as exc:
        last = client.http_client.last_response()
        error = from_twilio(exc, method=method, headers=last.headers if last is not None else None)
    raise error  # outside the except block: the SDK exception (it holds the credentials) is not chained


@functools.lru_cache(maxsize=4)
def _client(cfg: config.TwilioConfig) -> Any:
    from twilio.rest import Client

    from ._twilio_http import RoutingHttpClient

    http_client = RoutingHttpClient(cfg.api_base, cfg.timeout)
    return Client(cfg.account_sid, cfg.auth_token, account_sid=cfg.account_sid, http_client=http_client)


def _message_result(message: Any) -> ProviderResult:
    raw = {name: getattr(message, name, None) for name in _MESSAGE_FIELDS}
    raw["from"] = message.from_
    raw["date_created"] = _iso(message.date_created)
    raw["date_sent"] = _iso(message.date_sent)
    return ProviderResult(
        provider_id=message.sid,
        status=str(message.status),
        cost=_cost(message.price),
        segments=int(message.num_segments) if message.num_segments else None,
        raw=scrub(raw),
    )


def _cost(price: str | None) -> Decimal | None:
    # Twilio reports what it charged as a negative price; null until the carrier bills it.
    return abs(Decimal(price)) if price else None


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _second_floor(since: datetime | int) -> datetime:
    """UTC datetime of `since`, floored to the second: Twilio timestamps carry whole seconds only."""
    if isinstance(since, int):
        moment = datetime.fromtimestamp(since / 1000, tz=UTC)
    elif since.tzinfo is None:
        moment = since.replace(tzinfo=UTC)
    else:
        moment = since.astimezone(UTC)
    return moment.replace(microsecond=0)
