"""Provider callbacks through the gateway: Twilio's status callbacks and inbound messages, SendGrid's event
webhook, each posted by the local fakes exactly as the provider signs it (or forged, tampered, replayed,
stale), and what they do to communications and consent.

Shown here: forged, tampered, replayed, stale and duplicated callbacks refused or applied once; any order
of status callbacks ending in the same state; a callback that comes before its send is recorded applied
once it is, and one that settles a send whose answer was lost; STOP, then a marketing send (skipped),
then START, then the send goes; HELP answered with the tenant's text; an inbound message recorded for
its member."""

from __future__ import annotations

import itertools
import json
import random
from urllib.parse import urlencode

import pytest

from shared import clock
from shared.ids import new_id
from tests.integration.test_communications import PASSWORD, _get, _history, _login, _run, fakes, manager

__all__ = ["fakes", "manager"]  # the send pipeline's fixtures, with this module's tenant

def _number() -> str:
    exchange = random.choice((234, 267, 398, 452, 580, 623, 729, 846))  # valid in 415: phonenumbers checks
    return f"+1415{exchange}{random.randrange(10**4):04d}"


@pytest.fixture(scope="module")
def tenant(api, local):
    from shared.settings import store as settings

    creds = local.logins["super_admin"]
    sa = _login(api, creds["email"], creds["password"]).json()["access_token"]
    r = api.post("/clients", token=sa, json={"name": f"Callbacks Co {new_id()}", "subscription_tier": "premium"})
    assert r.status_code == 201, r.text
    client_id, number = r.json()["id"], _number()
    for key, value in (("messaging.quiet_hours", {}), ("sms.default_sender", number),
                       ("messaging.retry_policy", {"max_attempts": 3, "backoff_base_seconds": 1,
                                                   "backoff_cap_seconds": 2})):
        settings.put("client", client_id, None, key, value, description=None, actor=None, operation="setSetting")
    emails = {}
    for role in ("admin", "manager"):
        emails[role] = f"{role}-{new_id().lower()}@callbacks.example"
        r = api.post("/users", token=sa, json={"email": emails[role], "role": role, "password": PASSWORD,
                                               "client_id": client_id})
        assert r.status_code == 201, r.text
    local.poller.settle("streams")  # the sender directory learns the tenant's number
    return {"id": client_id, "number": number, **emails}


def _sms(api, token, tenant, to=None, **fields):
    body = {"channel": "sms", "to_number": to or _number(), "content": f"Hello {new_id()}", **fields}
    r = api.post("/communications", token=token, json=body)
    assert r.status_code == 202, r.text
    return r.json()


def _sent(local, api, token, tenant, **fields):
    comm = _sms(api, token, tenant, **fields)
    _run(local)
    sent = _get(api, token, comm["id"])
    assert sent["status"] == "sent", sent
    return sent


def _signed(fakes, url, params):
    from shared.local.fakes.twilio_callbacks import signature

    return signature(url, params, fakes.credentials.twilio_auth_token)


def _post_form(api, path, params, signature):
    return api.post(path, data=urlencode(params), headers={"content-type": "application/x-www-form-urlencoded",
                                                           "x-twilio-signature": signature})


# --- Twilio status callbacks -------------------------------------------------------------------------
def test_a_status_callback_is_signed_checked_and_applied_once(api, local, tenant, manager, fakes):
    sent = _sent(local, api, manager, tenant)
    [out] = [m for m in fakes.outbox("twilio") if m["id"] == sent["provider_id"]]
    assert f"communication_id={sent['id']}" in out["status_callback"]  # the URL Twilio signs names it

    first = fakes.send_status_callback(sent["provider_id"], "delivered")
    assert first["status"] == 204
    delivered = _get(api, manager, sent["id"])
    assert delivered["status"] == "delivered" and delivered["delivered_at"]
    assert delivered["provider_status"] == "delivered"
    again = fakes.send_status_callback(sent["provider_id"], "delivered")  # Twilio retries, or a replay
    assert again["status"] == 204 and _get(api, manager, sent["id"])["version"] == delivered["version"]

    url, params = first["url"], dict(first["params"], MessageStatus="read", SmsStatus="read")
    path = url[len(local.url):]
    r = _post_form(api, path, params, _signed(fakes, url, first["params"]))
    assert r.status_code == 403 and r.json()["field"] == "/headers/x-twilio-signature"  # tampered
    r = _post_form(api, path, params, _signed(fakes, url.replace(sent["id"], new_id()), params))
    assert r.status_code == 403  # signed for another URL
    from shared.local.fakes.twilio_callbacks import signature

    assert _post_form(api, path, params, signature(url, params, "0" * 32)).status_code == 403  # another token
    r = api.post(path, data=urlencode(params), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403  # unsigned
    assert _get(api, manager, sent["id"])["version"] == delivered["version"]
    r = _post_form(api, path, params, _signed(fakes, url, params))
    assert r.status_code == 204 and _get(api, manager, sent["id"])["status"] == "read"


def test_the_fake_reports_each_send_when_asked_to(api, local, tenant, manager, fakes):
    import requests

    from tests.eventually import eventually

    control = f"{fakes.base_url}/_fake/twilio/auto-callbacks"
    assert requests.post(control, json={"statuses": ["nope"]}, timeout=5).status_code == 400
    assert requests.post(control, json={"statuses": ["sent", "delivered"]}, timeout=5).status_code == 200
    try:
        comm = _sms(api, manager, tenant)
        _run(local)
        done = eventually(lambda: (c := _get(api, manager, comm["id"]))["status"] == "delivered" and c)
    finally:
        requests.post(control, json={"statuses": []}, timeout=5)
    assert [s for s in _history(done) if s in ("sent", "delivered")] == ["sent", "delivered"]


@pytest.mark.parametrize("order", list(itertools.permutations(("sent", "delivered", "read", "queued"))))
def test_any_order_of_status_callbacks_ends_in_the_same_state(api, local, tenant, manager, fakes, order):
    sent = _sent(local, api, manager, tenant)
    for status in order:
        assert fakes.send_status_callback(sent["provider_id"], status)["status"] == 204
    final = _get(api, manager, sent["id"])
    assert final["status"] == "read" and final["provider_status"] == "read" and final["read_at"]
    moves = [s for s in _history(final) if s not in ("queued", "sending")]
    assert moves[0] == "sent" and moves[-1] == "read" and len(set(moves)) == len(moves)  # forward, each once


def test_an_event_stored_by_an_invocation_that_died_is_applied_by_the_redelivery(api, local, tenant, manager, fakes):
    from shared.webhooks import store

    sent = _sent(local, api, manager, tenant)
    sid = sent["provider_id"]
    # The invocation stored the event, then died before applying it.
    store.receive(tenant["id"], "twilio", "message.delivered", f"{sid}:delivered", "{}", sent["id"])
    assert fakes.send_status_callback(sid, "delivered")["status"] == 204  # soon after: taken as in flight
    assert _get(api, manager, sent["id"])["status"] == "sent"
    clock.advance(301)
    assert fakes.send_status_callback(sid, "delivered")["status"] == 204  # Twilio's retry, later: applied
    assert _get(api, manager, sent["id"])["status"] == "delivered"


def test_an_undelivered_report_fails_the_message_with_its_code(api, local, tenant, manager, fakes):
    sent = _sent(local, api, manager, tenant)
    assert fakes.send_status_callback(sent["provider_id"], "undelivered", error_code=30003)["status"] == 204
    failed = _get(api, manager, sent["id"])
    assert failed["status"] == "failed" and failed["error_code"] == "30003"
    fakes.send_status_callback(sent["provider_id"], "delivered")  # late and contradicting: never moves it back
    assert _get(api, manager, sent["id"])["status"] == "failed"


def test_a_callback_before_the_send_is_recorded_is_applied_once_it_is(api, local, tenant, manager, fakes,
                                                                       monkeypatch):
    from shared.messaging import sender

    real, posted = sender._send, []

    def send_then_report(item):
        result = real(item)
        # Twilio is quick: its callback lands while the sender has not yet written what Twilio answered.
        posted.append(fakes.send_status_callback(result.provider_id, "delivered"))
        assert sender.store.find(item.client_id, item.id).status == "queued"
        return result

    monkeypatch.setattr(sender, "_send", send_then_report)
    comm = _sms(api, manager, tenant)
    _run(local)
    assert posted and posted[0]["status"] == 204
    done = _get(api, manager, comm["id"])
    assert done["status"] == "delivered" and done["provider_id"] == posted[0]["params"]["MessageSid"]
    assert _history(done) == ["queued", "sending", "sent", "delivered"] and "held_reports" not in done


def test_a_status_callback_settles_a_send_whose_answer_was_lost(api, local, tenant, manager, fakes):
    fakes.inject_fault("twilio", "send_then_500")
    comm = _sms(api, manager, tenant)
    _run(local)
    assert _get(api, manager, comm["id"])["provider_status"] == "unknown"
    [out] = [m for m in fakes.outbox("twilio") if m["body"] == comm["content"]]
    assert fakes.send_status_callback(out["id"], "delivered")["status"] == 204
    settled = _get(api, manager, comm["id"])
    assert settled["status"] == "delivered" and settled["provider_id"] == out["id"]
    _run(local, 31)  # the settling lookup finds nothing left to settle
    assert _get(api, manager, comm["id"])["version"] == settled["version"]
    _run(local, 900)
    assert len([m for m in fakes.outbox("twilio") if m["body"] == comm["content"]]) == 1


def test_a_status_callback_url_must_name_a_communication(api, local, fakes):
    params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
    url = f"{local.url}/webhooks/twilio/status"
    r = _post_form(api, "/webhooks/twilio/status", params, _signed(fakes, url, params))
    assert r.status_code == 400 and r.json()["field"] == "/query/communication_id"
    r = _post_form(api, "/webhooks/twilio/status", {"MessageStatus": "delivered"}, "x")
    assert r.status_code == 400 and r.json()["field"] == "/body/MessageSid"


# --- Twilio inbound -----------------------------------------------------------------------------------
def _skipped(api, local, token) -> dict:
    local.poller.settle("streams")
    r = api.get("/communications/stats", token=token)
    assert r.status_code == 200, r.text
    return r.json()["skipped"]


def test_stop_skips_marketing_until_start(api, local, tenant, manager, fakes):
    phone = _number()
    before = _skipped(api, local, manager)
    answer = fakes.send_inbound(phone, tenant["number"], "  stop ")
    assert answer["status"] == 200 and "<Message>" not in answer["answer"]
    marketing = _sms(api, manager, tenant, to=phone, message_type="marketing")
    transactional = _sms(api, manager, tenant, to=phone, message_type="transactional")
    _run(local)
    skipped = _get(api, manager, marketing["id"])
    assert skipped["status"] == "failed" and skipped["error_code"] == "opted_out"
    assert _get(api, manager, transactional["id"])["status"] == "sent"
    assert not [m for m in fakes.outbox("twilio") if m["body"] == marketing["content"]]
    counted = _skipped(api, local, manager)  # the skip is counted, by its reason
    assert (counted["total"], counted["opted_out"]) == (before["total"] + 1, before["opted_out"] + 1)
    assert counted["frequency_cap"] == before["frequency_cap"]

    assert fakes.send_inbound(phone, tenant["number"], "Start")["status"] == 200
    again = _sms(api, manager, tenant, to=phone, message_type="marketing")
    _run(local)
    assert _get(api, manager, again["id"])["status"] == "sent"

    from shared.messaging import store as consent

    records = consent.consent_records(tenant["id"], "sms", phone)
    assert [(r.action, r.source, r.keyword, r.sender) for r in records] == [
        ("opt_out", "inbound_keyword", "STOP", tenant["number"]), ("opt_in", "inbound_keyword", "START",
                                                                    tenant["number"])]


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "Cancel", "END", "quit", "REVOKE", "optout"])
def test_every_stop_word_opts_out(tenant, fakes, word):
    from shared.messaging import store as consent

    phone = _number()
    assert fakes.send_inbound(phone, tenant["number"], word)["status"] == 200
    assert consent.consent_of(tenant["id"], "sms", phone).opted_out


def test_opt_out_type_is_honoured_and_a_sentence_is_no_keyword(tenant, fakes):
    from shared.messaging import store as consent

    phone = _number()
    fakes.send_inbound(phone, tenant["number"], "please stop", opt_out_type="STOP")  # Twilio's Advanced Opt-Out
    assert consent.consent_of(tenant["id"], "sms", phone).opted_out
    other = _number()
    fakes.send_inbound(other, tenant["number"], "stop it please")
    assert consent.consent_of(tenant["id"], "sms", other) is None


def test_help_answers_the_tenants_text(tenant, fakes):
    from shared.settings import store as settings

    text = f"Callbacks Co help {new_id()[-6:]}: reply STOP to opt out."
    settings.put("client", tenant["id"], None, "sms.help_text", text, description=None, actor=None,
                 operation="setSetting")
    answer = fakes.send_inbound(_number(), tenant["number"], "info")
    assert answer["status"] == 200 and f"<Message>{text}</Message>" in answer["answer"]


def test_an_inbound_message_is_recorded_once_for_its_member(api, local, tenant, manager, fakes):
    phone = _number()
    r = api.post("/members", token=manager, json={"member_id": f"m-{new_id()}", "first_name": "Ada", "phone": phone})
    assert r.status_code == 201, r.text
    member = r.json()
    local.poller.settle("streams")  # the member's phone is searchable
    content = f"Is my order ready? {new_id()}"
    first = fakes.send_inbound(phone, tenant["number"], content, media_urls=["https://example.com/order.png"])
    assert first["status"] == 200
    # The very same request again (Twilio's retry, or a replay): one message.
    r = _post_form(api, "/webhooks/twilio/inbound", first["params"], _signed(fakes, first["url"], first["params"]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    r = api.get(f"/members/{member['id']}/communications", token=manager)
    [inbound] = [c for c in r.json()["items"] if c["content"] == content]
    assert inbound["direction"] == "inbound" and inbound["channel"] == "mms" and inbound["status"] == "delivered"
    assert inbound["from_number"] == phone and inbound["provider_id"] == first["params"]["MessageSid"]
    assert inbound["media_urls"] == ["https://example.com/order.png"]
    assert api.get(f"/members/{member['id']}", token=manager).json()["last_active"] >= inbound["created_at"]


def test_a_forged_inbound_message_changes_nothing(api, local, tenant, fakes):
    from shared.messaging import store as consent

    phone = _number()
    params = {"MessageSid": "SM" + "b" * 32, "From": phone, "To": tenant["number"], "Body": "STOP"}
    r = _post_form(api, "/webhooks/twilio/inbound", params, "bm90IGEgc2lnbmF0dXJl")
    assert r.status_code == 403
    assert consent.consent_of(tenant["id"], "sms", phone) is None


# --- SendGrid events ----------------------------------------------------------------------------------
def _email(local, api, token):
    r = api.post("/communications", token=token, json={
        "channel": "email", "to_email": f"ada-{new_id().lower()}@example.com", "from_email": "shop@example.com",
        "subject": "Receipt", "content": f"Your receipt {new_id()}", "message_type": "marketing"})
    assert r.status_code == 202, r.text
    _run(local)
    sent = _get(api, token, r.json()["id"])
    assert sent["status"] == "sent"
    return sent


def test_sendgrid_events_are_verified_and_applied_once(api, local, tenant, manager, fakes):
    sent = _email(local, api, manager)
    events = [fakes.sendgrid_event(sent["provider_id"], kind) for kind in ("processed", "delivered", "open")]
    posted = fakes.send_sendgrid_events(events)
    assert posted["status"] == 200 and json.loads(posted["answer"]) == {"applied": 3, "duplicates": 0, "ignored": 0}
    opened = _get(api, manager, sent["id"])
    assert opened["status"] == "read" and opened["read_at"]
    again = fakes.send_sendgrid_events(events)  # SendGrid redelivers: each event is stored once
    assert json.loads(again["answer"]) == {"applied": 0, "duplicates": 3, "ignored": 0}
    assert _get(api, manager, sent["id"])["version"] == opened["version"]

    click = [fakes.sendgrid_event(sent["provider_id"], "click")]
    good = fakes.send_sendgrid_events(click)
    headers = {k.lower(): v for k, v in good["headers"].items()}
    body = json.dumps(click, separators=(",", ":"))
    tampered = body.replace('"click"', '"bounce"')
    assert api.post("/webhooks/sendgrid/events", data=tampered, headers=headers).status_code == 403
    stale = fakes.send_sendgrid_events([fakes.sendgrid_event(sent["provider_id"], "bounce")],
                                       timestamp=clock.now_s() - 301)
    assert stale["status"] == 403 and "stale" in stale["answer"]
    future = fakes.send_sendgrid_events([fakes.sendgrid_event(sent["provider_id"], "bounce")],
                                        timestamp=clock.now_s() + 600)
    assert future["status"] == 403
    unsigned = {"content-type": "application/json"}
    assert api.post("/webhooks/sendgrid/events", data=body, headers=unsigned).status_code == 403
    from shared.local.fakes.provider_events import EventKey

    other_key = EventKey()
    stamp = str(clock.now_s())
    forged = {**headers, "x-twilio-email-event-webhook-signature": other_key.sign(stamp, tampered.encode()),
              "x-twilio-email-event-webhook-timestamp": stamp}
    assert api.post("/webhooks/sendgrid/events", data=tampered, headers=forged).status_code == 403
    replay = api.post("/webhooks/sendgrid/events", data=body, headers=headers)  # within 5 minutes: deduped
    assert replay.status_code == 200 and json.loads(replay.text)["duplicates"] == 1
    final = _get(api, manager, sent["id"])
    assert final["status"] == "clicked" and _history(final)[-3:] == ["delivered", "read", "clicked"]


def test_a_spam_report_opts_the_address_out_of_email(api, local, tenant, manager, fakes):
    from shared.messaging import store as consent

    sent = _email(local, api, manager)
    posted = fakes.send_sendgrid_events([fakes.sendgrid_event(sent["provider_id"], "spamreport")])
    assert posted["status"] == 200
    assert consent.consent_of(tenant["id"], "email", sent["to_email"]).opted_out
    r = api.post("/communications", token=manager, json={
        "channel": "email", "to_email": sent["to_email"], "from_email": "shop@example.com", "subject": "Sale",
        "content": f"Sale {new_id()}", "message_type": "marketing"})
    _run(local)
    assert _get(api, manager, r.json()["id"])["error_code"] == "opted_out"


def test_a_bounce_is_final(api, local, tenant, manager, fakes):
    sent = _email(local, api, manager)
    fakes.send_sendgrid_events([fakes.sendgrid_event(sent["provider_id"], "bounce", reason="550 no such user",
                                                     status="5.1.1")])
    bounced = _get(api, manager, sent["id"])
    assert bounced["status"] == "bounced" and bounced["error_code"] == "5.1.1"
    fakes.send_sendgrid_events([fakes.sendgrid_event(sent["provider_id"], "delivered")])
    assert _get(api, manager, sent["id"])["status"] == "bounced"


def test_a_sendgrid_body_that_is_no_event_list_is_refused_whole(api, local, manager, fakes):
    sent = _email(local, api, manager)
    good = fakes.sendgrid_event(sent["provider_id"], "open")
    posted = fakes.send_sendgrid_events([good, {"event": "open"}])  # signed, but the second has no sg_event_id
    assert posted["status"] == 400 and json.loads(posted["answer"])["field"] == "/body/1"
    assert _get(api, manager, sent["id"])["status"] == "sent"  # the good one was not applied either
    assert fakes.send_sendgrid_events({"event": "open"})["status"] == 400  # not a list
    assert json.loads(fakes.send_sendgrid_events([good])["answer"])["applied"] == 1  # nothing was stored before


# --- the §12 webhook operations over what was received ----------------------------------------------
@pytest.fixture
def admin_token(api, tenant):
    return _login(api, tenant["admin"]).json()["access_token"]


def test_received_events_are_listed_counted_and_failed_ones_retried(api, local, tenant, manager, admin_token, fakes,
                                                                    monkeypatch):
    from shared.messaging import provider_events

    sent = _email(local, api, manager)
    real, broken = provider_events.report, []

    def outage(*args, **kwargs):
        if not broken:
            broken.append(True)
            raise RuntimeError("the table was briefly unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(provider_events, "report", outage)
    delivered = fakes.sendgrid_event(sent["provider_id"], "delivered")
    assert fakes.send_sendgrid_events([delivered])["status"] == 200  # stored, not applied: kept failed
    assert _get(api, manager, sent["id"])["status"] == "sent"

    r = api.get("/webhooks/failed", token=manager)
    assert r.status_code == 200, r.text
    [failed] = [w for w in r.json()["items"] if w["event_id"] == delivered["sg_event_id"]]
    assert failed["status"] == "failed" and "briefly unavailable" in failed["error_message"]
    assert failed["provider"] == "sendgrid" and failed["communication_id"] == sent["id"] and failed["attempts"] == 1
    assert api.post("/webhooks/failed/retry", token=manager, json={}).status_code == 403  # admins act
    r = api.post("/webhooks/failed/retry", token=admin_token, json={"provider": "sendgrid"})
    assert r.status_code == 200, r.text
    assert {"id": failed["id"], "status": 200, "version": failed["version"] + 1, "error": None} in r.json()["results"]
    assert _get(api, manager, sent["id"])["status"] == "delivered"
    retried = api.get("/webhooks/by-event", token=manager, params={"event_type": "delivered", "provider": "sendgrid"})
    [done] = [w for w in retried.json()["items"] if w["id"] == failed["id"]]
    assert done["status"] == "processed" and done["processed_at"] and done["attempts"] == 2
    assert failed["id"] not in [w["id"] for w in api.get("/webhooks/failed", token=manager).json()["items"]]

    local.poller.settle("streams")
    r = api.get("/webhooks", token=manager, params={"limit": 200})
    listed = r.json()["items"]
    assert r.status_code == 200 and listed[0]["created_at"] >= listed[-1]["created_at"]
    stats = api.get("/webhooks/stats", token=manager).json()
    assert stats["total"] >= len(listed) and stats["by_provider"]["sendgrid"] >= 1
    assert stats["by_status"]["processed"] + stats["by_status"]["failed"] + stats["by_status"]["received"] \
        == stats["total"]
    assert any(e["event_type"] == "delivered" and e["count"] >= 1 for e in stats["by_event_type"])


def test_a_failure_that_stays_is_reported_per_item(api, local, tenant, admin_token, fakes):
    ghost = new_id()  # custom_args naming a communication that does not exist
    event = {"client_id": tenant["id"], "communication_id": ghost, "email": "x@example.com", "event": "open",
             "sg_event_id": f"ghost-{new_id()}", "timestamp": clock.now_s()}
    assert fakes.send_sendgrid_events([event])["status"] == 200
    r = api.post("/webhooks/failed/retry", token=admin_token, json={"provider": "sendgrid", "limit": 100})
    [result] = [x for x in r.json()["results"] if x["status"] != 200][:1]
    assert result["status"] == 409 and f"no communication {ghost}" in result["error"]["detail"]


def test_log_update_and_bulk_update_webhooks(api, tenant, manager, admin_token):
    body = {"provider": "nmi", "event_type": "transaction.settled", "event_id": f"nmi-{new_id()}",
            "payload": {"transactionid": "123"}}
    r = api.post("/webhooks", token=admin_token, json=body)
    assert r.status_code == 201, r.text
    logged = r.json()
    assert logged["status"] == "received" and json.loads(logged["payload"]) == {"transactionid": "123"}
    r = api.post("/webhooks", token=admin_token, json=body)
    assert r.status_code == 409 and r.json()["field"] == "/body/event_id"
    assert api.post("/webhooks", token=manager, json=body).status_code == 403
    for bad, field in (({**body, "provider": "outbound"}, "/body/provider"), ({**body, "event_type": "a b"},
                       "/body/event_type"), ({**body, "status": "done"}, "/body/status")):
        r = api.post("/webhooks", token=admin_token, json=bad)
        assert r.status_code == 400 and r.json()["field"] == field, r.text

    r = api.patch(f"/webhooks/{logged['id']}", token=admin_token, json={"status": "failed", "error_message": "bad"},
                  headers={"if-match": str(logged["version"])})
    assert r.status_code == 200 and r.json()["status"] == "failed" and r.json()["error_message"] == "bad"
    stale = api.patch(f"/webhooks/{logged['id']}", token=admin_token, json={"status": "processed"},
                      headers={"if-match": str(logged["version"])})
    assert stale.status_code == 412
    assert logged["id"] in [w["id"] for w in api.get("/webhooks/failed", token=manager).json()["items"]]
    r = api.patch("/webhooks/bulk", token=admin_token, json={"updates": [
        {"id": logged["id"], "changes": {"status": "processed"}}, {"id": new_id(), "changes": {"status": "processed"}}]})
    assert r.status_code == 200 and [x["status"] for x in r.json()["results"]] == [200, 404]
    assert r.json()["succeeded"] == 1 and r.json()["failed"] == 1
    r = api.get("/webhooks/by-event", token=manager, params={"event_type": "transaction.settled"})
    [done] = [w for w in r.json()["items"] if w["id"] == logged["id"]]
    assert done["status"] == "processed" and done["processed_at"] and done.get("error_message") is None
    assert api.get("/webhooks/by-event", token=manager).status_code == 400  # event_type is required


def test_opt_out_requests_and_spam_reports(api, local, tenant, manager, fakes):
    phone = _number()
    fakes.send_inbound(phone, tenant["number"], "UNSUBSCRIBE")
    sent = _email(local, api, manager)
    spam = fakes.sendgrid_event(sent["provider_id"], "spamreport")
    fakes.send_sendgrid_events([spam])
    r = api.get("/communications/opt-outs", token=manager, params={"limit": 200})
    assert r.status_code == 200, r.text
    outs = r.json()["items"]
    assert outs[0]["at"] >= outs[-1]["at"]
    assert {"address": phone, "channel": "sms", "keyword": "UNSUBSCRIBE", "source": "inbound_keyword",
            "sender": tenant["number"]}.items() <= next(o for o in outs if o["address"] == phone).items()
    assert any(o["address"] == sent["to_email"] and o["keyword"] == "spamreport" for o in outs)
    r = api.get("/communications/spam-reports", token=manager)
    assert r.status_code == 200 and r.json()["items"][0]["event_id"] == spam["sg_event_id"]
