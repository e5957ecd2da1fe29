"""One exception type for every provider failure, classified for the caller's retry logic.

* `transient`: trying again later may succeed (5xx, 429, timeouts, connection failures).
* `ambiguous`: the request may have been acted on (a timeout or 5xx after a create was sent). The
  caller must settle it (e.g. `twilio_sms.list_recent_messages`) before sending again.
* `code`: the provider's own error code when it gave one (Twilio 21211, NMI 300, ...), else the
  HTTP status, else "timeout" / "connection".
* `field`: the request input a permanent refusal is about, as a JSON pointer (`/body/phone`). Only
  the caller knows which input it passed, so it sets this before letting the error reach an
  operation; `app_error()` then answers 422 naming it.

SDK exceptions are mapped by HTTP status and provider code, never by message text. Messages pass
through `config.redact`, and the SDK exception is not chained (its request object holds the
credentials), so neither `str()`, `repr()` nor a logged traceback can show a secret.
"""

from __future__ import annotations

import json
import math
import time
from email.utils import parsedate_to_datetime
from typing import Any

from shared.errors import AppError, BadGateway, Unavailable, Unprocessable, UpstreamError

from . import config

# 4xx answers that only mean "not now": Twilio's queue-full and too-many-requests codes.
_TWILIO_TRANSIENT_CODES = frozenset({20429, 21611})


class ProviderError(UpstreamError):
    """A provider refused, failed or could not be reached."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        code: int | str | None = None,
        status: int | None = None,
        transient: bool = False,
        ambiguous: bool = False,
        retry_after: float | None = None,
        fields: tuple[str, ...] = (),
        field: str | None = None,
    ) -> None:
        self.provider = provider
        self.message = config.redact(message)
        self.code = code
        self.status = status
        self.transient = transient
        self.ambiguous = ambiguous
        self.retry_after = retry_after
        self.fields = fields  # the provider's own names of what it refused (SendGrid's "personalizations.0.to")
        self.field = field
        super().__init__(self.message)

    @property
    def kind(self) -> str:
        """ "ambiguous", "transient" or "permanent"."""
        if self.ambiguous:
            return "ambiguous"
        return "transient" if self.transient else "permanent"

    @property
    def down(self) -> bool:
        """The provider failed or never answered (5xx, timeout, connection), as opposed to refusing
        us for now (429, queue full) or for good."""
        return self.status is None or self.status >= 500

    def app_error(self) -> AppError:
        """What the API caller is told: 422 for a refusal of its data, 503 (with Retry-After when the
        provider said when) for "not now", 502 when the provider failed or refused us for our reasons.
        Never the provider's message: it may describe our request, not the caller's."""
        if self.kind == "permanent" and self.field:
            return Unprocessable(f"{self.provider} refused this value (code {self.code})", field=self.field)
        if self.transient and (self.retry_after is not None or not self.down):
            headers = {"retry-after": str(max(1, math.ceil(self.retry_after)))} if self.retry_after is not None else {}
            return Unavailable(f"{self.provider} is busy; try again later", headers=headers)
        if self.ambiguous:
            return BadGateway(f"{self.provider} did not confirm the request; it may have been carried out")
        return BadGateway(f"{self.provider} failed (code {self.code})")

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} error (status={self.status}, code={self.code}): {self.message}"

    def __repr__(self) -> str:
        return (
            f"ProviderError(provider={self.provider!r}, code={self.code!r}, status={self.status!r}, "
            f"transient={self.transient}, ambiguous={self.ambiguous}, retry_after={self.retry_after!r}, "
            f"message={self.message!r})"
        )


def from_status(
    provider: str,
    status: int,
    message: str,
    *,
    code: int | str | None = None,
    method: str = "POST",
    retry_after: str | None = None,
    fields: tuple[str, ...] = (),
) -> ProviderError:
    """Classify an HTTP error answer."""
    transient = status >= 500 or status in (408, 429) or code in _TWILIO_TRANSIENT_CODES
    return ProviderError(
        provider,
        message,
        code=status if code is None else code,
        status=status,
        transient=transient,
        # A 5xx after a create left the outcome unknown; a GET or a 4xx did not change anything.
        ambiguous=status >= 500 and method.upper() == "POST",
        retry_after=parse_retry_after(retry_after) if transient else None,
        fields=fields,
    )


def from_transport(provider: str, exc: BaseException, *, method: str = "POST") -> ProviderError:
    """Classify a timeout or connection failure from `requests` or `urllib`."""
    sent = _request_was_sent(exc)
    return ProviderError(
        provider,
        f"{type(exc).__name__}: {exc}",
        code="timeout" if _is_timeout(exc) else "connection",
        transient=True,
        ambiguous=sent and method.upper() == "POST",
    )


def from_twilio(exc: BaseException, *, method: str = "POST", headers: Any = None) -> ProviderError:
    """Map a Twilio SDK exception (or a `requests` failure under it); `headers` are the last response's."""
    status, code, message = _twilio_fields(exc)
    if status is None:
        return from_transport("twilio", exc, method=method)
    return from_status(
        "twilio",
        status,
        message,
        code=code,
        method=getattr(exc, "method", None) or method,
        retry_after=_header(headers, "Retry-After"),
    )


def from_sendgrid(exc: Any) -> ProviderError:
    """Map a `python_http_client.exceptions.HTTPError` (SendGrid's v3 `{"errors": [...]}` body)."""
    errors = _json(exc.body).get("errors") or []
    fields = tuple(str(e["field"]) for e in errors if isinstance(e, dict) and e.get("field"))
    parts = [_sendgrid_part(e) for e in errors if isinstance(e, dict)]
    return from_status(
        "sendgrid",
        int(exc.status_code),
        "; ".join(parts) or f"HTTP {exc.status_code}",
        retry_after=_header(exc.headers, "Retry-After"),
        fields=fields,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _twilio_fields(exc: BaseException) -> tuple[int | None, int | str | None, str]:
    """(status, code, message) from TwilioRestException, TwilioServiceException or a page error."""
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        message = getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", "")
        return status, getattr(exc, "code", None), str(message)
    # Paging raises a bare TwilioException("Unable to fetch page", response), with no status of its own.
    response = exc.args[1] if len(exc.args) > 1 else None
    if response is not None and hasattr(response, "status_code"):
        body = _json(getattr(response, "text", ""))
        return int(response.status_code), body.get("code"), str(body.get("message") or exc.args[0])
    return None, None, ""


def _sendgrid_part(error: dict[str, Any]) -> str:
    field = error.get("field")
    return f"{field}: {error.get('message')}" if field else str(error.get("message"))


def _request_was_sent(exc: BaseException) -> bool:
    """False only when the failure certainly happened before the request left this process."""
    import urllib.error

    if isinstance(exc, urllib.error.URLError):
        return False  # urllib wraps only connect/send failures; a read timeout surfaces unwrapped
    try:
        import requests
        from urllib3.exceptions import NewConnectionError
    except ImportError:  # pragma: no cover - requests ships with the twilio SDK
        return True
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not isinstance(reason, NewConnectionError)
    return True


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
        return True
    try:
        import requests
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, requests.exceptions.Timeout)


def _header(headers: Any, name: str) -> str | None:
    return headers.get(name) if headers is not None else None


def _json(text: str | bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(text or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
