"""`ProviderFakes`: one loopback HTTP server standing in for Twilio, SendGrid and NMI.

The real SDKs talk to it over HTTP (TWILIO_API_BASE, SENDGRID_API_BASE and NMI_API_BASE point at
`start()`'s URL: `settings()`; the keys are `secrets()`), so the production adapters run unchanged.
Local runtime only.
"""

from __future__ import annotations

import functools
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from shared.local.aws import SHUTDOWN_POLL_S

from . import (
    control,
    faults,
    nmi_api,
    provider_events,
    sendgrid_api,
    twilio_api,
    twilio_callbacks,
    twilio_conversations_api,
)
from .state import FakeCredentials, FakeState, Fault
from .wire import FakeRequest, Reply, text_reply

if TYPE_CHECKING:
    from types import ModuleType

_log = logging.getLogger(__name__)

# Path prefix -> (provider name, module with handle() and fault_reply()).
_APIS: tuple[tuple[str, str, ModuleType], ...] = (
    ("/2010-04-01/", "twilio", twilio_api),
    ("/v1/Conversations", "twilio", twilio_conversations_api),  # conversations.twilio.com
    ("/v3/", "sendgrid", sendgrid_api),
    ("/api/", "nmi", nmi_api),
)


class ProviderFakes:
    """Loopback fakes of the providers' HTTP APIs, with an outbox and fault injection.

    Use as a context manager or call `start()` / `stop()`. The same controls exist over HTTP under
    `/_fake/` for processes that only know the URL.
    """

    def __init__(
        self, credentials: FakeCredentials | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.credentials = credentials or FakeCredentials()
        self.state = FakeState(self.credentials)
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.event_key = provider_events.EventKey()  # signs SendGrid's event webhook posts
        self.api_url = ""  # where the callbacks go: the local runtime's gateway (set when it starts)
        self._in_flight = 0
        self._idle = threading.Condition()

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Wait until no request is being answered (a stalled one has gone through): a run that moves the
        shared clock past a provider's processing time must not move it past a request still in flight."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout_s)

    def start(self) -> str:
        """Start serving (port 0 picks a free port) and return the base URL."""
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(self._address, self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S},
                name="provider-fakes", daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving; requests held by a "hang" fault are released."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ProviderFakes:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT of the running server."""
        if self._server is None:
            raise RuntimeError("ProviderFakes is not started")
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server's address is its socket's getsockname(): never bytes
        return f"http://{host}:{port}"

    def settings(self) -> dict[str, str]:
        """The settings (shared.core.settings) that point `shared.providers` at these fakes, secrets aside."""
        base = self.base_url
        return {"TWILIO_ACCOUNT_SID": self.credentials.twilio_account_sid, "TWILIO_API_BASE": base,
                "SENDGRID_API_BASE": base, "NMI_API_BASE": base,
                "SENDGRID_WEBHOOK_PUBLIC_KEY": self.event_key.public_key}

    def secrets(self) -> dict[str, str]:
        """The fakes' keys by the setting that names their secret (`SENDGRID_API_KEY_SECRET_ID`: the key)."""
        creds = self.credentials
        return {"TWILIO_AUTH_TOKEN_SECRET_ID": creds.twilio_auth_token,
                "SENDGRID_API_KEY_SECRET_ID": creds.sendgrid_api_key,
                "NMI_SECURITY_KEY_SECRET_ID": creds.nmi_security_key}

    def outbox(self, provider: str | None = None) -> list[dict[str, Any]]:
        """Accepted messages, calls and charges, oldest first; `provider` is twilio, sendgrid or nmi."""
        return self.state.outbox(provider)

    def clear(self) -> None:
        """Empty the outbox and forget stored messages, transactions and pending faults."""
        self.state.clear()

    def inject_fault(
        self, provider: str, mode: str, count: int = 1, *, retry_after: int = 1, delay: float = 30.0
    ) -> None:
        """Make the next `count` requests to `provider` fail.

        Modes: "500"; "429" (with Retry-After: `retry_after`); "hang" (answer only after `delay`
        seconds, then act on the request); "send_then_500" (act on it, then answer 500).
        """
        self.state.add_fault(Fault(provider, mode, int(count), int(retry_after), float(delay)))

    def random_faults(self, provider: str, rates: dict[str, float], *, seed: int = 0, delay: float = 30.0) -> None:
        """Make each later send (POST) to `provider` fail at random: `{"500": 0.3, "send_then_500": 0.01}`
        (seeded, so a run repeats); `{}` stops it. The fault run's provider."""
        self.state.set_random_faults(provider, rates, seed=seed, delay=delay)

    def send_status_callback(self, sid: str, status: str, error_code: int | None = None) -> dict[str, Any]:
        """Set message `sid` to `status` and POST Twilio's signed status callback; returns what was sent."""
        return twilio_callbacks.send_status_callback(self.state, sid, status, error_code)

    def send_inbound(self, sender: str, to: str, body: str, *, media_urls: list[str] | None = None,
                     opt_out_type: str | None = None, url: str | None = None) -> dict[str, Any]:
        """POST Twilio's signed inbound webhook for a message from `sender` to `to`; returns what was sent and
        answered (the TwiML)."""
        return provider_events.inbound_message(self.state, url or self._api("/webhooks/twilio/inbound"), sender, to,
                                               body, media_urls, opt_out_type)

    def send_conversation_inbound(self, conversation_sid: str, author: str, body: str, *, attributes: str = "{}",
                                  url: str | None = None) -> dict[str, Any]:
        """A participant `author` writes `body` into the conversation: stored there, then Twilio's signed
        onMessageAdded posted; returns what was sent and answered."""
        return provider_events.conversation_inbound(self.state, url or self._api("/webhooks/twilio/conversations"),
                                                    conversation_sid, author, body, attributes)

    def send_conversation_event(self, conversation_sid: str, message_sid: str, *, url: str | None = None
                                ) -> dict[str, Any]:
        """POST the signed onMessageAdded of a message already in the conversation (ours, or a retry)."""
        return provider_events.conversation_event(self.state, url or self._api("/webhooks/twilio/conversations"),
                                                  conversation_sid, message_sid)

    def sendgrid_event(self, message_id: str, kind: str, **extra: Any) -> dict[str, Any]:
        """A SendGrid event about an email this fake accepted (not posted: see send_sendgrid_events)."""
        return provider_events.sendgrid_event(self.state, message_id, kind, **extra)

    def send_sendgrid_events(self, events: Any, *, timestamp: int | None = None,
                             url: str | None = None) -> dict[str, Any]:
        """POST SendGrid's signed event webhook with `events`."""
        return provider_events.sendgrid_events(self.state, self.event_key, url or self._api("/webhooks/sendgrid/events"),
                                               events, timestamp)

    def _api(self, path: str) -> str:
        if not self.api_url:
            raise twilio_callbacks.CallbackError(409, "no API to call back: give a url")
        return self.api_url.rstrip("/") + path

    def handle(self, request: FakeRequest) -> Reply:
        """Answer one HTTP request (called from the server threads)."""
        with self._idle:
            self._in_flight += 1
        try:
            return self._answer(request)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _answer(self, request: FakeRequest) -> Reply:
        try:
            if request.path.startswith("/_fake/"):
                return control.handle(self, request)
            for prefix, provider, api in _APIS:
                if request.path.startswith(prefix):
                    fault = self.state.take_fault(provider, request.method)
                    process = functools.partial(api.handle, self.state, request)
                    return faults.apply(fault, process, api.fault_reply, self._stopping)
            return text_reply(404, f"no fake serves {request.path}")
        except Exception:  # noqa: BLE001 - a bug in a fake must show up as a 500, not a dropped connection
            _log.exception("provider fake failed on %s %s", request.method, request.path)
            return text_reply(500, "fake error")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung request must not keep the process alive

    def __init__(self, address: tuple[str, int], fakes: ProviderFakes) -> None:
        super().__init__(address, _Handler)
        self.fakes = fakes

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out and hang up are expected here; keep them out of stderr.
        _log.debug("provider fake connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "EchelonXProviderFakes/1.0"

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_DELETE = do_PUT = do_GET

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = FakeRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        reply = self.server.fakes.handle(request)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (e.g. under a "hang" fault)

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("provider fake: " + format, *args)
