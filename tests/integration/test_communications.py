"""Communications through the gateway, and the send pipeline behind them: createCommunication writes
`queued` and queues it, the sender (polled from SendQueue on the shared clock) sends it through the real
Twilio and SendGrid SDKs against the local fakes, whose outbox counts what reached the provider.

Shown here: a send, a redelivered SQS message that sends nothing more, a 5xx retried once settled, a
send whose answer was lost found at Twilio instead of sent twice, a 429 that waits without using up an
attempt, a permanent refusal failed at once with its code, retries exhausted into the dead-letter queue,
a sender killed between the provider's answer and its write, a status that never moves back, an opt-out
that skips marketing but not transactional messages, a send in quiet hours in the member's zone that waits,
parked overnight, until the window opens, and a voice message: a call whose TwiML says the content and plays
the media."""

from __future__ import annotations

import json

import pytest

from shared import clock
from shared.ids import new_id

PASSWORD = "correct-horse-battery"
SENDER = "+15005550006"  # a number Twilio's test credentials accept as From
QUEUE_FULL = "+15005550008"  # From: Twilio 21611, "too many queued messages" (transient)
INVALID = "+15005550001"  # To: Twilio 21211, not a valid number (permanent)
UNSUBSCRIBED = "+15005550004"  # To: Twilio 21610, the recipient replied STOP (permanent)
CALL_UNREACHABLE = "+15005550002"  # To of a call: Twilio 21214, the number cannot be reached (permanent)


def _login(api, email, password=PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture(scope="module")
def tenant(api, local):
    from shared.settings import store as settings

    creds = local.logins["super_admin"]
    sa = _login(api, creds["email"], creds["password"]).json()["access_token"]
    r = api.post("/clients", token=sa, json={"name": f"Messages Co {new_id()}", "subscription_tier": "premium"})
    assert r.status_code == 201, r.text
    client_id = r.json()["id"]
    # Retries a second or two apart, so the suite moves the clock by seconds, not minutes; no quiet hours
    # but where a test sets them (the default, 21:00-08:00 UTC, would hold every send of a night run).
    settings.put("client", client_id, None, "messaging.retry_policy",
                 {"max_attempts": 3, "backoff_base_seconds": 1, "backoff_cap_seconds": 2},
                 description=None, actor=None, operation="setSetting")
    settings.put("client", client_id, None, "messaging.quiet_hours", {}, description=None, actor=None,
                 operation="setSetting")

    def staff(role):
        email = f"{role}-{new_id().lower()}@messages.example"
        r = api.post("/users", token=sa, json={"email": email, "role": role, "password": PASSWORD,
                                               "client_id": client_id})
        assert r.status_code == 201, r.text
        return email

    return {"id": client_id, "manager": staff("manager"), "user": staff("user")}


@pytest.fixture
def manager(api, tenant):
    return _login(api, tenant["manager"]).json()["access_token"]


@pytest.fixture
def fakes(local):
    local.provider_fakes.state.clear_faults()
    yield local.provider_fakes
    local.provider_fakes.state.clear_faults()


def _sms(api, token, content=None, **fields):
    body = {"channel": "sms", "to_number": "+14155550123", "from_number": SENDER,
            "content": content or f"Hello {new_id()}", **fields}
    r = api.post("/communications", token=token, json=body)
    assert r.status_code == 202, r.text
    return r.json()


def _get(api, token, comm_id):
    r = api.get(f"/communications/{comm_id}", token=token)
    assert r.status_code == 200, r.text
    return r.json()


def _run(local, seconds: float = 0) -> None:
    """Let the sender take what is due `seconds` from now (the queue's delays are on the shared clock)."""
    if seconds:
        clock.advance(seconds)
    local.poller.settle("sqs")


def _sent_to_twilio(fakes, content):
    return [m for m in fakes.outbox("twilio") if m["body"] == content]


def _history(comm):
    return [h["status"] for h in comm["status_history"]]


def test_an_sms_is_sent_once_even_when_its_message_is_delivered_again(api, local, manager, fakes):
    comm = _sms(api, manager)
    assert comm["status"] == "queued" and comm["provider"] == "twilio" and comm["direction"] == "outbound"
    _run(local)
    sent = _get(api, manager, comm["id"])
    assert sent["status"] == "sent" and sent["provider_id"].startswith("SM") and sent["segments"] == 1
    assert sent["sent_at"] and sent["retry_count"] == 0 and _history(sent) == ["queued", "sending", "sent"]
    assert "send_attempt" not in sent and "lease_until" not in sent  # bookkeeping stays inside
    [out] = _sent_to_twilio(fakes, comm["content"])
    assert out["id"] == sent["provider_id"] and out["to"] == "+14155550123" and out["from"] == SENDER

    # SQS delivers at least once: the same message again, twice, finds the attempt taken.
    sqs, url = local.aws.client("sqs"), local.aws.names["SendQueue"]
    message = json.dumps({"client_id": sent["client_id"], "id": comm["id"], "attempt": 1})
    for _ in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=message)
    _run(local)
    assert len(_sent_to_twilio(fakes, comm["content"])) == 1
    assert _get(api, manager, comm["id"])["version"] == sent["version"]


def test_a_5xx_is_settled_at_twilio_then_retried_and_sent_once(api, local, manager, fakes):
    fakes.inject_fault("twilio", "500")
    comm = _sms(api, manager)
    _run(local)
    unsure = _get(api, manager, comm["id"])
    assert unsure["status"] == "queued" and unsure["provider_status"] == "unknown"
    assert unsure["error_code"] == "20500" and _sent_to_twilio(fakes, comm["content"]) == []
    _run(local, 31)  # the settling check: not at Twilio, so attempt 2 is queued
    assert _get(api, manager, comm["id"])["provider_status"] == "retrying"
    _run(local, 3)
    sent = _get(api, manager, comm["id"])
    assert sent["status"] == "sent" and sent["retry_count"] == 1 and sent["error_code"] is None
    assert _history(sent) == ["queued", "sending", "unknown", "retrying", "sending", "sent"]
    assert len(_sent_to_twilio(fakes, comm["content"])) == 1


def test_a_send_whose_answer_was_lost_is_found_at_twilio_not_sent_again(api, local, manager, fakes):
    fakes.inject_fault("twilio", "send_then_500")
    comm = _sms(api, manager)
    _run(local)
    assert _get(api, manager, comm["id"])["provider_status"] == "unknown"
    _run(local, 31)
    sent = _get(api, manager, comm["id"])
    [out] = _sent_to_twilio(fakes, comm["content"])
    assert sent["status"] == "sent" and sent["provider_id"] == out["id"] and sent["retry_count"] == 0
    _run(local, 900)
    assert len(_sent_to_twilio(fakes, comm["content"])) == 1


def test_a_429_waits_without_using_up_an_attempt(api, local, manager, fakes):
    fakes.inject_fault("twilio", "429", retry_after=5)
    comm = _sms(api, manager)
    _run(local)
    waiting = _get(api, manager, comm["id"])
    assert waiting["status"] == "queued" and waiting["provider_status"] == "deferred"
    _run(local, 2)
    assert _get(api, manager, comm["id"])["status"] == "queued"  # not before the Retry-After
    _run(local, 4)
    sent = _get(api, manager, comm["id"])
    assert sent["status"] == "sent" and sent["retry_count"] == 0
    assert len(_sent_to_twilio(fakes, comm["content"])) == 1


@pytest.mark.parametrize(("to", "code"), [(INVALID, "21211"), (UNSUBSCRIBED, "21610")])
def test_a_permanent_refusal_fails_at_once_with_its_code(api, local, manager, fakes, to, code):
    comm = _sms(api, manager, to_number=to)
    _run(local)
    failed = _get(api, manager, comm["id"])
    assert failed["status"] == "failed" and failed["error_code"] == code and failed["error_message"]
    assert failed["retry_count"] == 0 and _history(failed) == ["queued", "sending", "failed"]
    _run(local, 900)
    assert _get(api, manager, comm["id"])["version"] == failed["version"]


def test_spent_retries_fail_with_the_last_error_and_reach_the_dead_letter_queue(api, local, manager, fakes):
    comm = _sms(api, manager, from_number=QUEUE_FULL)
    _run(local)
    for _ in range(2):
        assert _get(api, manager, comm["id"])["provider_status"] == "retrying"
        _run(local, 3)
    failed = _get(api, manager, comm["id"])
    assert failed["status"] == "failed" and failed["error_code"] == "21611" and failed["retry_count"] == 2
    assert _history(failed).count("sending") == 3  # the policy's max_attempts
    sqs, dlq = local.aws.client("sqs"), local.aws.names["SendDeadLetterQueue"]
    bodies = []
    for _ in range(5):
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
        bodies += [json.loads(m["Body"]) for m in got]
        sqs.delete_message_batch(QueueUrl=dlq, Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for n, m in enumerate(got)]) if got else None
        if any(b["id"] == comm["id"] for b in bodies):
            break
    assert {"client_id": failed["client_id"], "id": comm["id"], "attempt": 3, "channel": "sms",
            "sender": QUEUE_FULL} in bodies


def test_a_sender_killed_after_the_provider_answered_sends_nothing_more(api, local, manager, fakes, monkeypatch):
    from shared.communications import store

    record, killed = store.record_outcome, []

    def dying(*args, **kwargs):
        if not killed:
            killed.append(True)
            raise RuntimeError("the sender was killed")
        return record(*args, **kwargs)

    monkeypatch.setattr(store, "record_outcome", dying)
    comm = _sms(api, manager)
    _run(local)
    assert killed and _get(api, manager, comm["id"])["provider_status"] == "sending"
    assert len(_sent_to_twilio(fakes, comm["content"])) == 1
    _run(local, 361)  # the message comes back after the queue's visibility timeout, the lease long expired
    _run(local, 31)
    sent = _get(api, manager, comm["id"])
    assert sent["status"] == "sent" and "unknown" in _history(sent)
    assert len(_sent_to_twilio(fakes, comm["content"])) == 1


def test_an_email_is_sent_through_sendgrid_with_its_ids(api, local, manager, fakes):
    content = f"Your receipt {new_id()}"
    r = api.post("/communications", token=manager, json={
        "channel": "email", "to_email": "ada@example.com", "from_email": "shop@example.com",
        "subject": "Receipt", "content": content, "message_type": "transactional"})
    assert r.status_code == 202, r.text
    comm = r.json()
    _run(local)
    sent = _get(api, manager, comm["id"])
    assert sent["status"] == "sent" and sent["provider"] == "sendgrid" and sent["provider_id"]
    [mail] = [m for m in fakes.outbox("sendgrid") if content in json.dumps(m)]
    assert mail["id"] == sent["provider_id"] and mail["to"] == "ada@example.com"
    assert comm["id"] in json.dumps(mail)  # custom_args carry the communication id for SendGrid's events


def test_a_status_moves_forward_only(api, local, manager, fakes):
    comm = _sms(api, manager)
    _run(local)

    def move(status, version=None):
        headers = {"if-match": str(version)} if version else {}
        return api.post(f"/communications/{comm['id']}/status", token=manager, json={"status": status},
                        headers=headers)

    r = move("delivered")
    assert r.status_code == 200 and r.json()["status"] == "delivered" and r.json()["delivered_at"]
    for back in ("sent", "delivered", "failed"):
        r = move(back)
        assert r.status_code == 409 and r.json()["field"] == "/body/status", r.text
    assert move("read").json()["status"] == "read"
    # A provider's report that comes late moves nothing back either.
    from shared.communications import store

    assert store.advance(comm_id=comm["id"], client_id=_get(api, manager, comm["id"])["client_id"],
                         status="delivered", fields={}, note="a late callback") is None
    final = _get(api, manager, comm["id"])
    assert final["status"] == "read" and _history(final)[-2:] == ["delivered", "read"]


def test_lists_by_status_channel_and_member(api, local, tenant, manager, fakes):
    r = api.post("/members", token=manager, json={"member_id": f"m-{new_id()}", "first_name": "Ada",
                                                  "phone": "+14155550199", "email": "ada.m@example.com"})
    assert r.status_code == 201, r.text
    member = r.json()
    comm = _sms(api, manager, to_number=None, member_id=member["id"])
    assert comm["to_number"] == "+14155550199" and comm["member_id"] == member["id"]
    r = api.post("/communications/log-email", token=manager, json={
        "to_email": "ada.m@example.com", "content": "sent from our CRM", "member_id": member["id"],
        "status": "delivered"})
    assert r.status_code == 201, r.text
    logged = r.json()
    assert logged["channel"] == "email" and logged["provider"] == "other" and logged["delivered_at"]
    _run(local)

    r = api.get(f"/members/{member['id']}/communications", token=manager)
    assert r.status_code == 200 and [c["id"] for c in r.json()["items"]] == [logged["id"], comm["id"]]
    r = api.get(f"/members/{member['id']}/communications", token=manager, params={"channel": "sms"})
    assert [c["id"] for c in r.json()["items"]] == [comm["id"]]
    r = api.get("/communications", token=manager, params={"status": "delivered", "limit": 200})
    ids = [c["id"] for c in r.json()["items"]]
    assert logged["id"] in ids and comm["id"] not in ids
    r = api.get("/communications", token=manager, params={"channel": "email", "direction": "outbound"})
    assert all(c["channel"] == "email" for c in r.json()["items"])
    r = api.get(f"/members/{new_id()}/communications", token=manager)
    assert r.status_code == 404


def test_logged_messages_are_recorded_not_sent(api, local, tenant, manager, fakes):
    user = _login(api, tenant["user"]).json()["access_token"]  # users may log, not send
    content = f"logged {new_id()}"
    r = api.post("/communications/log-sms", token=user, json={"to_number": "+14155550111", "content": content,
                                                               "direction": "inbound", "status": "replied"})
    assert r.status_code == 201, r.text
    assert r.json()["direction"] == "inbound" and r.json()["replied_at"]
    r = api.post("/communications/log-mms", token=user, json={"to_number": "+14155550111", "content": content,
                                                               "media_urls": ["https://example.com/a.png"]})
    assert r.status_code == 201 and r.json()["channel"] == "mms" and r.json()["status"] == "sent"
    r = api.post("/communications", token=user, json={"channel": "sms", "to_number": "+14155550111",
                                                      "from_number": SENDER, "content": content})
    assert r.status_code == 403
    _run(local)
    assert _sent_to_twilio(fakes, content) == []


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"channel": "push", "content": "hi"}, 422, "/body/channel"),
    ({"channel": "sms", "content": "hi", "from_number": SENDER}, 400, "/body/to_number"),
    ({"channel": "sms", "content": "hi", "to_number": "12"}, 400, "/body/to_number"),
    ({"channel": "sms", "content": "hi", "to_number": "+14155550123"}, 422, "/body/from_number"),
    ({"channel": "email", "content": "hi", "to_email": "a@example.com", "from_email": "b@example.com"}, 400,
     "/body/subject"),
    ({"channel": "email", "content": "hi", "to_email": "a@example.com", "subject": "s"}, 422, "/body/from_email"),
    ({"channel": "mms", "content": "hi", "to_number": "+14155550123", "from_number": SENDER}, 400,
     "/body/media_urls"),
    ({"channel": "sms", "content": "hi", "to_number": "+14155550123", "member_id": "01JDEM00000000000000000000"},
     400, "/body/member_id"),
    ({"channel": "sms", "content": "", "to_number": "+14155550123"}, 400, "/body/content"),
])
def test_refusals_name_the_field(api, manager, body, status, field):
    r = api.post("/communications", token=manager, json=body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field and r.headers["content-type"] == "application/problem+json"


def test_the_tenant_default_sender_is_used(api, local, tenant, manager, fakes):
    from shared.settings import store as settings

    settings.put("client", tenant["id"], None, "sms.default_sender", "+15005550006", description=None,
                 actor=None, operation="setSetting")
    try:
        comm = _sms(api, manager, from_number=None)
        assert comm["from_number"] == "+15005550006"
    finally:
        settings.remove(settings.partition("client", tenant["id"]), "sms.default_sender", actor=None,
                        operation="deleteSetting")


def test_an_opt_out_skips_marketing_but_not_transactional_messages(api, local, tenant, manager, fakes):
    from shared.messaging import store as consent

    first = _sms(api, manager, to_number=UNSUBSCRIBED)  # Twilio 21610: the number replied STOP
    _run(local)
    assert _get(api, manager, first["id"])["error_code"] == "21610"
    record = consent.consent_records(tenant["id"], "sms", UNSUBSCRIBED)[-1]  # the latest (one per 21610)
    assert record.action == "opt_out" and record.source == "provider_error" and record.sender == SENDER
    assert record.at and consent.consent_of(tenant["id"], "sms", UNSUBSCRIBED).opted_out

    attempts = len(fakes.outbox("twilio"))
    marketing = _sms(api, manager, to_number=UNSUBSCRIBED, message_type="marketing")
    _run(local)
    skipped = _get(api, manager, marketing["id"])
    assert skipped["status"] == "failed" and skipped["provider_status"] == "skipped"
    assert skipped["error_code"] == "opted_out" and len(fakes.outbox("twilio")) == attempts  # nothing sent
    r = api.get("/communications", token=manager, params={"status": "failed", "limit": 200})
    assert sum(c["provider_status"] == "skipped" for c in r.json()["items"]) >= 1  # counted, not lost

    consent.record_consent(tenant["id"], "sms", "+14155550177", opted_out=True, source="inbound_keyword",
                           keyword="STOP", sender=SENDER)
    transactional = _sms(api, manager, to_number="+14155550177")  # a receipt: sent whatever the consent
    _run(local)
    assert _get(api, manager, transactional["id"])["status"] == "sent"


def test_a_send_in_quiet_hours_waits_parked_until_the_window_opens_in_the_member_zone(api, local, tenant, fakes):
    """The window is set around now in New York (the member's zone, not the tenant's UTC): 10.5 hours of
    waiting, longer than SQS's 15 minutes, so the send is parked and the sweeper queues it when due. The
    daylight saving nights are tests/unit/test_quiet_hours.py's."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from shared.messaging.quiet_hours import wait_seconds
    from shared.settings import store as settings
    from shared.settings.catalogue import QuietWindow

    local_now = datetime.fromtimestamp(clock.now_ms() / 1000, ZoneInfo("America/New_York"))
    window = {"start": (local_now - timedelta(hours=1)).strftime("%H:%M"),
              "end": (local_now + timedelta(hours=10, minutes=30)).strftime("%H:%M")}
    settings.put("client", tenant["id"], None, "messaging.quiet_hours", {"sms": window}, description=None, actor=None,
                 operation="setSetting")
    try:
        started = clock.now_ms()
        wait = wait_seconds(QuietWindow(**window), "America/New_York", started)
        assert 10 * 3600 < wait <= 10.5 * 3600
        token = _login(api, tenant["manager"]).json()["access_token"]
        r = api.post("/members", token=token, json={"member_id": f"ny-{new_id()}", "phone": "+12125550142",
                                                    "timezone": "America/New_York"})
        assert r.status_code == 201, r.text
        comm = _sms(api, token, to_number=None, member_id=r.json()["id"])
        _run(local)
        waiting = _get(api, token, comm["id"])
        assert waiting["status"] == "queued" and _history(waiting) == ["queued"]  # nothing marked, no attempt

        clock.advance(wait - 180)  # three minutes before the window opens: still parked
        local.poller.settle("schedules", "sqs")
        token = _login(api, tenant["manager"]).json()["access_token"]
        assert _get(api, token, comm["id"])["status"] == "queued" and _sent_to_twilio(fakes, comm["content"]) == []

        clock.advance(180)
        local.poller.settle("schedules", "sqs")
        _run(local, 1)
        sent = _get(api, token, comm["id"])
        assert sent["status"] == "sent" and sent["sent_at"] >= started + wait * 1000 and sent["retry_count"] == 0
        assert len(_sent_to_twilio(fakes, comm["content"])) == 1
    finally:
        settings.put("client", tenant["id"], None, "messaging.quiet_hours", {}, description=None, actor=None,
                     operation="setSetting")


def test_a_message_sqs_refuses_is_parked_and_sent_after_the_next_sweep(api, local, manager, fakes, monkeypatch):
    """SQS not taking a recorded message must not strand it `queued`: it is parked, and the minute's sweep
    queues it."""
    from shared.core import aws
    from shared.messaging import queue

    real, send_queue = aws.client, local.aws.names["SendQueue"]

    class Refusing:
        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            return getattr(self.client, name)

        def send_message_batch(self, QueueUrl, Entries):
            if QueueUrl != send_queue:
                return self.client.send_message_batch(QueueUrl=QueueUrl, Entries=Entries)
            return {"Successful": [], "Failed": [{"Id": e["Id"], "SenderFault": False, "Code": "ServiceUnavailable"}
                                               for e in Entries]}

    monkeypatch.setattr(queue.aws, "client", lambda service: Refusing(real(service)) if service == "sqs" else real(service))
    comm = _sms(api, manager)  # 202: recorded, and on its way
    monkeypatch.setattr(queue.aws, "client", real)
    _run(local)
    assert _get(api, manager, comm["id"])["status"] == "queued" and _sent_to_twilio(fakes, comm["content"]) == []

    clock.advance(60)
    local.poller.settle("schedules", "sqs")
    _run(local, 1)
    sent = _get(api, manager, comm["id"])
    assert sent["status"] == "sent" and sent["retry_count"] == 0
    assert len(_sent_to_twilio(fakes, comm["content"])) == 1


def test_a_bulk_create_answers_each_message_and_sends_the_good_ones_once(api, local, manager, fakes):
    run = new_id()
    entries = [{"channel": "sms", "to_number": f"+1415555{n:04d}", "from_number": SENDER, "content": f"bulk {run} {n}"}
               for n in range(12)]
    entries[5] = {"channel": "sms", "to_number": "not a number", "from_number": SENDER, "content": "refused"}
    r = api.post("/communications/bulk", token=manager, json={"communications": entries})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["succeeded"] == 11 and answer["failed"] == 1
    assert [x["index"] for x in answer["results"]] == list(range(12))
    refused = answer["results"][5]
    assert refused["status"] == 400 and refused["error"]["field"] == "/body/to_number" and refused.get("id") is None
    _run(local)
    sent = [m for m in fakes.outbox("twilio") if m["body"].startswith(f"bulk {run} ")]
    assert sorted(m["body"] for m in sent) == sorted(e["content"] for n, e in enumerate(entries) if n != 5)
    for x in answer["results"]:
        if x["status"] == 202:
            assert _get(api, manager, x["id"])["status"] == "sent"


# --- voice: a Twilio call (the SDK's calls.create against the fake); push and chat have no provider ---


def _call(api, token, **fields):
    body = {"channel": "voice", "to_number": "+14155550123", "from_number": SENDER,
            "content": f"Your table is ready <{new_id()}> & waiting", **fields}
    r = api.post("/communications", token=token, json=body)
    assert r.status_code == 202, r.text
    return r.json()


def test_a_voice_message_is_a_call_that_says_the_content_and_plays_the_media(api, local, manager, fakes):
    comm = _call(api, manager, media_urls=["https://media.example/chime.mp3"])
    assert comm["provider"] == "twilio" and comm["media_urls"] == ["https://media.example/chime.mp3"]
    _run(local)
    sent = _get(api, manager, comm["id"])
    assert sent["status"] == "sent" and sent["provider_id"].startswith("CA") and _history(sent) == [
        "queued", "sending", "sent"]
    [call] = [m for m in fakes.outbox("twilio") if m["kind"] == "call" and m["id"] == sent["provider_id"]]
    assert call["to"] == "+14155550123" and call["from"] == SENDER
    said = comm["content"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f"<Say>{said}</Say><Play>https://media.example/chime.mp3</Play>" in call["body"]  # escaped TwiML


def test_a_call_twilio_refuses_fails_at_once_with_its_code(api, local, manager, fakes):
    comm = _call(api, manager, to_number=CALL_UNREACHABLE)
    _run(local)
    failed = _get(api, manager, comm["id"])
    assert failed["status"] == "failed" and failed["error_code"] == "21214" and failed["retry_count"] == 0
    assert not [m for m in fakes.outbox("twilio") if m["kind"] == "call" and m["to"] == CALL_UNREACHABLE]


@pytest.mark.parametrize("channel", ["push", "chat"])
def test_a_channel_no_provider_sends_is_refused_naming_it(api, manager, channel):
    r = api.post("/communications", token=manager, json={"channel": channel, "content": "hi",
                                                         "to_number": "+14155550123", "from_number": SENDER})
    assert r.status_code == 422 and r.json()["field"] == "/body/channel", r.text
    assert channel in r.json()["detail"]
