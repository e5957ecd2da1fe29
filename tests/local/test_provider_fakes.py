"""The provider adapters driven through the real Twilio/SendGrid SDKs and `requests` against ProviderFakes."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests

from shared import clock
from shared.local.fakes import ProviderFakes
from shared.local.fakes.segments import count_segments
from shared.providers import config, nmi, sendgrid_email, twilio_sms
from shared.providers.errors import ProviderError
from tests.eventually import eventually

SENDER = "+15005550006"  # Twilio's "valid sender" magic number
RECIPIENT = "+15558675310"


@pytest.fixture(scope="module")
def fakes():
    with ProviderFakes() as running:
        yield running


@pytest.fixture(autouse=True)
def provider_env(fakes, monkeypatch):
    fakes.clear()
    for name, value in fakes.settings().items():
        monkeypatch.setenv(name, value)
    for name, value in fakes.secrets().items():  # as the local runtime would put them into the secrets
        config.inject_secret(name.removesuffix("_SECRET_ID"), value)
    monkeypatch.setenv("PROVIDER_TIMEOUT_SECONDS", "5")
    yield
    config.clear_injected()


def secrets_of(fakes: ProviderFakes) -> list[str]:
    creds = fakes.credentials
    return [creds.twilio_auth_token, creds.sendgrid_api_key, creds.nmi_security_key]


def assert_no_secret(fakes: ProviderFakes, *texts: object) -> None:
    for text in texts:
        for secret in secrets_of(fakes):
            assert secret not in str(text)
            assert secret not in repr(text)


# --- imports -----------------------------------------------------------------------------------


def test_importing_adapters_loads_no_sdk():
    code = (
        "import sys, shared.providers, shared.providers.twilio_sms, shared.providers.sendgrid_email, "
        "shared.providers.nmi, shared.providers.errors\n"
        "loaded = [m for m in ('twilio', 'sendgrid', 'python_http_client', 'requests', 'boto3') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# --- Twilio SMS ---------------------------------------------------------------------------------


def test_sms_lands_in_outbox_with_provider_id(fakes):
    result = twilio_sms.send_sms(
        RECIPIENT, SENDER, "Your table is ready", status_callback="https://example.test/cb"
    )

    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.status == "queued"
    assert result.segments == 1
    assert result.cost is None
    assert result.raw["to"] == RECIPIENT and result.raw["from"] == SENDER
    [entry] = fakes.outbox("twilio")
    assert entry["id"] == result.provider_id
    assert entry["kind"] == "sms"
    assert (entry["to"], entry["from"], entry["body"]) == (RECIPIENT, SENDER, "Your table is ready")
    assert entry["status_callback"] == "https://example.test/cb"
    assert entry["time"]


def test_mms_carries_every_media_url(fakes):
    media = ["https://example.test/a.jpg", "https://example.test/b.png"]
    result = twilio_sms.send_sms(RECIPIENT, SENDER, "Menu", media_urls=media)

    assert result.provider_id.startswith("MM")
    assert result.raw["num_media"] == "2"
    assert fakes.outbox("twilio")[0]["media_urls"] == media


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("😀" * 35, 1),
        ("é" * 160, 1),
        ("ж" * 71, 2),
    ],
)
def test_segments_follow_gsm7_and_ucs2_limits(body, segments):
    assert twilio_sms.send_sms(RECIPIENT, SENDER, body).segments == segments


def test_segment_packing_keeps_escapes_whole():
    assert count_segments("€" * 80) == 1  # 160 septets
    assert count_segments("a" + "€" * 80) == 2
    assert count_segments("a" * 152 + "€") == 1  # 154 septets fit a single 160 message
    assert count_segments("a" * 160 + "€") == 2  # 153 + (ESC, €) needs a second part


@pytest.mark.parametrize(
    ("to", "code"), [("+15005550001", 21211), ("+15005550004", 21610), ("+15005550009", 21614)]
)
def test_magic_numbers_are_permanent_errors(fakes, to, code):
    with pytest.raises(ProviderError) as caught:
        twilio_sms.send_sms(to, SENDER, "hi")

    error = caught.value
    assert (error.code, error.status) == (code, 400)
    assert not error.transient and not error.ambiguous
    assert error.kind == "permanent"
    assert fakes.outbox() == []


def test_500_is_transient_and_ambiguous_for_a_send(fakes):
    fakes.inject_fault("twilio", "500")

    with pytest.raises(ProviderError) as caught:
        twilio_sms.send_sms(RECIPIENT, SENDER, "hi")

    assert caught.value.transient and caught.value.ambiguous
    assert (caught.value.status, caught.value.code) == (500, 20500)
    assert fakes.outbox() == []
    assert twilio_sms.send_sms(RECIPIENT, SENDER, "hi").status == "queued"  # the fault was used up


def test_429_is_transient_with_retry_after(fakes):
    fakes.inject_fault("twilio", "429", retry_after=7)

    with pytest.raises(ProviderError) as caught:
        twilio_sms.send_sms(RECIPIENT, SENDER, "hi")

    assert caught.value.transient and not caught.value.ambiguous
    assert caught.value.retry_after == 7
    assert caught.value.code == 20429


def test_send_then_500_is_ambiguous_and_settled_by_listing(fakes):
    since = clock.now()
    twilio_sms.send_sms(RECIPIENT, SENDER, "another message")
    fakes.inject_fault("twilio", "send_then_500")

    with pytest.raises(ProviderError) as caught:
        twilio_sms.send_sms(RECIPIENT, SENDER, "code 123456", status_callback="https://example.test/cb")

    assert caught.value.ambiguous and caught.value.transient
    [sent] = [e for e in fakes.outbox("twilio") if e["body"] == "code 123456"]
    found = twilio_sms.list_recent_messages(RECIPIENT, since, from_=SENDER, body="code 123456")
    assert [r.provider_id for r in found] == [sent["id"]]
    assert "body" not in found[0].raw  # a one-time code must not end up stored with the result


def test_timeout_is_ambiguous_and_the_fake_still_acts(fakes, monkeypatch):
    monkeypatch.setenv("PROVIDER_TIMEOUT_SECONDS", "0.3")
    fakes.inject_fault("twilio", "hang", delay=0.8)

    with pytest.raises(ProviderError) as caught:
        twilio_sms.send_sms(RECIPIENT, SENDER, "slow")

    assert caught.value.code == "timeout"
    assert caught.value.transient and caught.value.ambiguous
    eventually(lambda: fakes.outbox("twilio"))


def test_unreachable_provider_is_transient_but_not_ambiguous(monkeypatch):
    with socket_closed_port() as port:
        monkeypatch.setenv("TWILIO_API_BASE", f"http://127.0.0.1:{port}")
        with pytest.raises(ProviderError) as caught:
            twilio_sms.send_sms(RECIPIENT, SENDER, "hi")

    assert caught.value.code == "connection"
    assert caught.value.transient and not caught.value.ambiguous


def test_wrong_auth_token_is_permanent_and_secret_free(fakes, monkeypatch):
    config.inject_secret("TWILIO_AUTH_TOKEN", "not-the-token-0123456789")

    with pytest.raises(ProviderError) as caught:
        twilio_sms.send_sms(RECIPIENT, SENDER, "hi")

    error = caught.value
    assert (error.status, error.code) == (401, 20003)
    assert not error.transient
    assert error.__cause__ is None and error.__context__ is None  # the SDK exception holds the credentials
    assert_no_secret(fakes, error)
    assert "not-the-token-0123456789" not in str(error) + repr(error)


def test_list_recent_messages_filters_by_creation_time_and_pages(fakes, monkeypatch):
    monkeypatch.setattr(twilio_sms, "_LIST_PAGE_SIZE", 2)  # force several pages through next_page_uri
    start = clock.freeze()
    try:
        twilio_sms.send_sms(RECIPIENT, SENDER, "old")
        clock.advance(60)
        since = clock.now()
        newer = [twilio_sms.send_sms(RECIPIENT, SENDER, f"new {i}").provider_id for i in range(5)]
        twilio_sms.send_sms("+15558675311", SENDER, "someone else")
        found = twilio_sms.list_recent_messages(RECIPIENT, since)
        from_ms = twilio_sms.list_recent_messages(RECIPIENT, start + 1000)
    finally:
        clock.reset()

    assert [r.provider_id for r in found] == list(reversed(newer))
    assert len(from_ms) == 5


def test_place_call(fakes):
    twiml = "<Response><Say>Your order is ready</Say></Response>"
    result = twilio_sms.place_call(RECIPIENT, SENDER, twiml)

    assert result.provider_id.startswith("CA") and result.status == "queued"
    assert result.raw["from"] == SENDER
    [entry] = fakes.outbox("twilio")
    assert (entry["kind"], entry["body"], entry["id"]) == ("call", twiml, result.provider_id)


# --- status callbacks ---------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], dict[str, str]]]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.received.append((self.path, dict(self.headers.items()), dict(parse_qsl(body))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_status_callback_is_signed_like_twilio(fakes, receiver):
    from twilio.request_validator import RequestValidator

    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks/twilio/status?tenant=t1"
    result = twilio_sms.send_sms(RECIPIENT, SENDER, "hi", status_callback=url)

    answer = requests.post(
        f"{fakes.base_url}/_fake/twilio/callback",
        json={"sid": result.provider_id, "status": "delivered"},
        timeout=5,
    )

    assert answer.status_code == 200 and answer.json()["status"] == 204
    [(path, headers, params)] = receiver.received
    assert path == "/hooks/twilio/status?tenant=t1"
    assert params["MessageSid"] == result.provider_id and params["MessageStatus"] == "delivered"
    assert params["AccountSid"] == fakes.credentials.twilio_account_sid
    signature = headers["X-Twilio-Signature"]
    assert RequestValidator(fakes.credentials.twilio_auth_token).validate(url, params, signature)
    assert not RequestValidator("some-other-token").validate(url, params, signature)
    assert not RequestValidator(fakes.credentials.twilio_auth_token).validate(
        url, {**params, "To": "+1"}, signature
    )


def test_delivered_message_shows_date_sent_and_matches_datesent_filter(fakes, receiver):
    url = f"http://127.0.0.1:{receiver.server_address[1]}/cb"
    sid = twilio_sms.send_sms(RECIPIENT, SENDER, "hi", status_callback=url).provider_id
    client = twilio_sms._client(twilio_sms.load_config())
    after = clock.now() - timedelta(minutes=1)

    assert client.messages.list(to=RECIPIENT, date_sent_after=after) == []  # still queued: no date_sent
    fakes.send_status_callback(sid, "delivered")

    message = client.messages(sid).fetch()
    assert message.status == "delivered" and message.date_sent is not None
    assert [m.sid for m in client.messages.list(to=RECIPIENT, date_sent_after=after)] == [sid]


def test_callback_without_status_callback_url_is_refused(fakes):
    sid = twilio_sms.send_sms(RECIPIENT, SENDER, "hi").provider_id
    answer = requests.post(
        f"{fakes.base_url}/_fake/twilio/callback", json={"sid": sid, "status": "sent"}, timeout=5
    )
    assert answer.status_code == 409


# --- SendGrid -----------------------------------------------------------------------------------


def test_email_returns_x_message_id_and_lands_in_outbox(fakes):
    result = sendgrid_email.send_email(
        "guest@example.test",
        "hello@venue.example",
        "Booking confirmed",
        html="<p>See you</p>",
        text="See you",
        custom_args={"tenant_id": "t1", "attempt": 2},
    )

    assert result.status == "accepted" and len(result.provider_id) == 22
    [entry] = fakes.outbox("sendgrid")
    assert entry["id"] == result.provider_id
    assert (entry["to"], entry["from"], entry["subject"]) == (
        "guest@example.test",
        "hello@venue.example",
        "Booking confirmed",
    )
    assert (entry["body"], entry["html"]) == ("See you", "<p>See you</p>")
    assert entry["custom_args"] == {"tenant_id": "t1", "attempt": "2"}


def test_email_without_subject_is_a_permanent_400_naming_the_field(fakes):
    with pytest.raises(ProviderError) as caught:
        sendgrid_email.send_email("guest@example.test", "hello@venue.example", None, text="x")

    error = caught.value
    assert (error.status, error.transient, error.ambiguous) == (400, False, False)
    assert error.fields == ("subject",)
    assert "subject" in str(error)
    assert fakes.outbox() == []


def test_email_wrong_key_is_permanent_and_secret_free(fakes, monkeypatch):
    config.inject_secret("SENDGRID_API_KEY", "SG.wrong-key-0123456789")

    with pytest.raises(ProviderError) as caught:
        sendgrid_email.send_email("guest@example.test", "hello@venue.example", "s", text="x")

    assert caught.value.status == 401 and not caught.value.transient
    assert_no_secret(fakes, caught.value)
    assert "SG.wrong-key-0123456789" not in repr(caught.value)


@pytest.mark.parametrize(("mode", "ambiguous"), [("500", True), ("send_then_500", True), ("429", False)])
def test_email_faults_are_transient(fakes, mode, ambiguous):
    fakes.inject_fault("sendgrid", mode, retry_after=3)

    with pytest.raises(ProviderError) as caught:
        sendgrid_email.send_email("guest@example.test", "hello@venue.example", "s", text="x")

    assert caught.value.transient and caught.value.ambiguous is ambiguous
    assert caught.value.retry_after == (3 if mode == "429" else None)
    assert len(fakes.outbox("sendgrid")) == (1 if mode == "send_then_500" else 0)


def test_email_timeout_is_ambiguous(fakes, monkeypatch):
    monkeypatch.setenv("PROVIDER_TIMEOUT_SECONDS", "0.3")
    fakes.inject_fault("sendgrid", "hang", delay=0.8)

    with pytest.raises(ProviderError) as caught:
        sendgrid_email.send_email("guest@example.test", "hello@venue.example", "s", text="x")

    assert caught.value.code == "timeout" and caught.value.ambiguous


def test_sdk_debug_log_does_not_leak_the_api_key(fakes, caplog):
    with caplog.at_level(logging.DEBUG):
        sendgrid_email.send_email("guest@example.test", "hello@venue.example", "s", text="x")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Bearer" in logged  # the SDK did log its headers...
    assert_no_secret(fakes, logged)  # ...with the key blanked out


# --- NMI ----------------------------------------------------------------------------------------


def test_nmi_sale_refund_and_over_refund(fakes):
    sale = nmi.charge("tok_visa", Decimal("25.00"), "order-1")

    assert sale.status == "approved" and len(sale.provider_id) == 10
    assert sale.raw["response_code"] == "100" and sale.raw["orderid"] == "order-1"
    refund = nmi.refund(sale.provider_id, Decimal("10.00"))
    assert refund.status == "approved" and refund.provider_id != sale.provider_id
    with pytest.raises(ProviderError) as caught:
        nmi.refund(sale.provider_id, Decimal("15.01"))
    assert caught.value.code == 300 and not caught.value.transient
    assert [(e["kind"], e["amount"]) for e in fakes.outbox("nmi")] == [("sale", "25.00"), ("refund", "10.00")]


def test_nmi_amount_below_one_dollar_is_declined(fakes):
    result = nmi.charge("tok_visa", Decimal("0.99"), "order-2")

    assert result.status == "declined"
    assert result.raw["response_code"] == "200" and result.raw["response"] == "2"
    assert fakes.outbox("nmi") == []


def test_nmi_void(fakes):
    sale = nmi.charge("tok_visa", Decimal("5.00"), "order-3")
    assert nmi.void(sale.provider_id).status == "approved"
    with pytest.raises(ProviderError):
        nmi.refund(sale.provider_id)


def test_nmi_wrong_security_key_is_permanent_and_secret_free(fakes, monkeypatch):
    config.inject_secret("NMI_SECURITY_KEY", "wrong-security-key-0123")

    with pytest.raises(ProviderError) as caught:
        nmi.charge("tok_visa", Decimal("5.00"), "order-4")

    assert caught.value.code == 300 and not caught.value.transient
    assert "wrong-security-key-0123" not in str(caught.value) + repr(caught.value)


def test_nmi_send_then_500_is_ambiguous(fakes):
    fakes.inject_fault("nmi", "send_then_500")

    with pytest.raises(ProviderError) as caught:
        nmi.charge("tok_visa", Decimal("5.00"), "order-5")

    assert caught.value.ambiguous and caught.value.status == 500
    assert len(fakes.outbox("nmi")) == 1


def test_nmi_refuses_float_and_sub_cent_amounts():
    with pytest.raises(TypeError):
        nmi.charge("tok_visa", 5.0, "order-6")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        nmi.charge("tok_visa", Decimal("5.001"), "order-6")


# --- secrets and the control API ----------------------------------------------------------------


def test_no_secret_in_errors_or_raw(fakes, monkeypatch):
    outcomes: list[object] = []
    outcomes.append(twilio_sms.send_sms(RECIPIENT, SENDER, "hi"))
    outcomes.append(sendgrid_email.send_email("g@example.test", "h@example.test", "s", text="x"))
    outcomes.append(nmi.charge("tok_visa", Decimal("2.00"), "o"))
    for provider in ("twilio", "sendgrid", "nmi"):
        fakes.inject_fault(provider, "500")
    for call in (
        lambda: twilio_sms.send_sms(RECIPIENT, SENDER, "hi"),
        lambda: sendgrid_email.send_email("g@example.test", "h@example.test", "s", text="x"),
        lambda: nmi.charge("tok_visa", Decimal("2.00"), "o"),
        lambda: twilio_sms.send_sms("+15005550001", SENDER, "hi"),
    ):
        with pytest.raises(ProviderError) as caught:
            call()
        outcomes.append(caught.value)

    for outcome in outcomes:
        assert_no_secret(fakes, outcome, getattr(outcome, "raw", ""))


def test_error_message_is_redacted_even_if_a_provider_echoes_a_secret(fakes):
    twilio_sms.load_config()  # registers the token as a known secret
    error = ProviderError("twilio", f"echo {fakes.credentials.twilio_auth_token}")
    assert_no_secret(fakes, error)


def test_control_api_over_http(fakes):
    base = f"{fakes.base_url}/_fake"
    sms = twilio_sms.send_sms(RECIPIENT, SENDER, "hi")
    mail = sendgrid_email.send_email("g@example.test", "h@example.test", "s", text="x")

    # By id: the module's fakes are shared, and a stalled reply of an earlier test may still land.
    twilio_only = requests.get(f"{base}/outbox", params={"provider": "twilio"}, timeout=5).json()
    assert {e["provider"] for e in twilio_only} == {"twilio"} and sms.provider_id in {e["id"] for e in twilio_only}
    everything = {e["id"]: e["provider"] for e in requests.get(f"{base}/outbox", timeout=5).json()}
    assert everything[sms.provider_id] == "twilio" and everything[mail.provider_id] == "sendgrid"

    assert (
        requests.post(
            f"{base}/faults", json={"provider": "twilio", "mode": "500", "count": 2}, timeout=5
        ).status_code
        == 201
    )
    for _ in range(2):
        with pytest.raises(ProviderError):
            twilio_sms.send_sms(RECIPIENT, SENDER, "hi")
    twilio_sms.send_sms(RECIPIENT, SENDER, "hi")

    assert (
        requests.post(f"{base}/faults", json={"provider": "twilio", "mode": "explode"}, timeout=5).status_code
        == 400
    )
    assert requests.delete(f"{base}/outbox", timeout=5).status_code == 204
    assert fakes.outbox() == []


class socket_closed_port:
    """A localhost port with nothing listening (bound, then released)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def __exit__(self, *exc_info: object) -> None:
        return None


def test_listing_error_is_transient_but_not_ambiguous(fakes):
    # The SDK raises a bare TwilioException("Unable to fetch page", response) here, not TwilioRestException.
    fakes.inject_fault("twilio", "500")

    with pytest.raises(ProviderError) as caught:
        twilio_sms.list_recent_messages(RECIPIENT, clock.now())

    assert (caught.value.status, caught.value.code) == (500, 20500)
    assert caught.value.transient and not caught.value.ambiguous


def test_secret_from_secrets_manager_or_injection(fakes, monkeypatch):
    token = fakes.credentials.twilio_auth_token
    config.clear_injected()
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_SECRET_ID", "echelonx/twilio-auth-token")
    fetched: list[str] = []
    monkeypatch.setattr(config, "_fetch_secret", lambda secret_id: fetched.append(secret_id) or token)

    twilio_sms.send_sms(RECIPIENT, SENDER, "via secret")
    twilio_sms.send_sms(RECIPIENT, SENDER, "cached")
    assert fetched == ["echelonx/twilio-auth-token"]  # read once, then cached

    monkeypatch.setattr(config, "_fetch_secret", lambda secret_id: "stale-token-from-the-store")
    config.inject_secret("TWILIO_AUTH_TOKEN", token)
    try:
        assert twilio_sms.send_sms(RECIPIENT, SENDER, "injected").status == "queued"
    finally:
        config.clear_injected()
    assert repr(twilio_sms.load_config()).count(token) == 0  # the dataclass repr leaves the token out


def test_missing_setting_names_the_variable_only(monkeypatch):
    config.clear_injected()
    monkeypatch.setenv("SENDGRID_API_KEY_SECRET_ID", "")  # empty is absent, here and in a stack's settings
    with pytest.raises(config.MissingSetting, match="SENDGRID_API_KEY_SECRET_ID"):
        sendgrid_email.send_email("g@example.test", "h@example.test", "s", text="x")
