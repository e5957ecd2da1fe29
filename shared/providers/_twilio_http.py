"""Twilio SDK transport: optional base-URL rewrite plus per-thread access to the last response.

Imported only by `twilio_sms` on first use, because it subclasses the SDK's HTTP client.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient

if TYPE_CHECKING:
    from twilio.http.response import Response


class RoutingHttpClient(TwilioHttpClient):
    """`TwilioHttpClient` that sends every request to `base` (when given) instead of *.twilio.com.

    The SDK builds absolute URLs from hard-coded domains (and `next_page_uri` links from those), so
    rewriting at the transport is the one place that catches them all while the SDK runs unchanged.
    It also remembers the last response per thread: `TwilioRestException` drops the headers, and
    Retry-After is only there.
    """

    def __init__(self, base: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(base) if base else None
        self._local = threading.local()
        if self._base is not None and self.session is not None:
            # A local fake must not be reached through an HTTP(S)_PROXY from the environment.
            self.session.trust_env = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the request (to the rewritten URL) and remember the response for error mapping."""
        self._local.last = None
        response = super().request(method, self._rewrite(url), *args, **kwargs)
        self._local.last = response
        return response

    def last_response(self) -> Response | None:
        """The response this thread received last, or None if the last request got none."""
        return getattr(self._local, "last", None)

    def _rewrite(self, url: str) -> str:
        if self._base is None:
            return url
        parts = urlsplit(url)
        path = self._base.path.rstrip("/") + parts.path
        return urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, parts.fragment))
