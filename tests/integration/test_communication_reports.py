"""The communication reports and maintenance operations through the gateway: the figures of
getCommunicationStats, getDeliveryRates, getCommunicationCosts, getEngagementMetrics and getResponseRates
equal what was sent and logged (read from the stream's counters, all time and by UTC day), a channel's
list, a member's and a communication's timeline, retryFailedCommunications (the spent transient failures
only, sent once more through the send queue), exportCommunications through the export job, the refusals,
and a damaged counter repaired by `echelonx recount`."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from shared import clock
from shared.ids import new_id
from shared.local import cli
from tests.exports import finished
from tests.integration.test_recount import state_file  # noqa: F401  (the fixture)

PASSWORD = "correct-horse-battery"
SENDER = "+15005550006"  # accepted as From by Twilio's test credentials
INVALID = "+15005550001"  # To: Twilio 21211 (permanent)
UNSUBSCRIBED = "+15005550004"  # To: Twilio 21610, the recipient replied STOP (permanent; records the opt-out)


def _login(api, email):
    r = api.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture
def t(api, local):
    """A fresh tenant (its figures start at zero) with a manager, a user and an admin. One attempt per
    send (a transient failure is spent at once), no quiet hours."""
    from shared.settings import store as settings

    creds = local.logins["super_admin"]
    sa = api.post("/auth/login", json={"email": creds["email"], "password": creds["password"]}).json()["access_token"]
    r = api.post("/clients", token=sa, json={"name": f"Reports Co {new_id()}", "subscription_tier": "premium"})
    assert r.status_code == 201, r.text
    client_id = r.json()["id"]
    settings.put("client", client_id, None, "messaging.retry_policy",
                 {"max_attempts": 1, "backoff_base_seconds": 1, "backoff_cap_seconds": 2},
                 description=None, actor=None, operation="setSetting")
    settings.put("client", client_id, None, "messaging.quiet_hours", {}, description=None, actor=None,
                 operation="setSetting")
    tokens = {}
    for role in ("admin", "manager", "user"):
        email = f"{role}-{new_id().lower()}@reports.example"
        r = api.post("/users", token=sa, json={"email": email, "role": role, "password": PASSWORD,
                                               "client_id": client_id})
        assert r.status_code == 201, r.text
        tokens[role] = _login(api, email)
    return {"id": client_id, "sa": sa, **tokens}


@pytest.fixture
def fakes(local):
    local.provider_fakes.state.clear_faults()
    yield local.provider_fakes
    local.provider_fakes.state.clear_faults()


def _log(api, token, kind, **fields):
    body = {"content": f"logged {new_id()}", **fields}
    if kind == "email":
        body.setdefault("to_email", "reader@example.com")
    else:
        body.setdefault("to_number", "+14155550123")
    r = api.post(f"/communications/log-{kind}", token=token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _send(api, token, **fields):
    body = {"channel": "sms", "to_number": "+14155550123", "from_number": SENDER, "content": f"hi {new_id()}",
            **fields}
    r = api.post("/communications", token=token, json=body)
    assert r.status_code == 202, r.text
    return r.json()


def _get(api, token, path, **params):
    r = api.get(path, token=token, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _settle(local, seconds: float = 0):
    if seconds:
        clock.advance(seconds)
    local.poller.settle("sqs")
    local.poller.settle("streams")


def _the_mix(api, local, token):
    """Eight messages whose figures the tests know: 5 sms (one sent through the fake), 3 emails."""
    _log(api, token, "sms", status="delivered", cost="0.0075", segments=2)
    _log(api, token, "sms", status="replied", cost="0.0075", segments=1)
    _log(api, token, "sms", status="failed")
    _log(api, token, "sms", status="delivered", direction="inbound")
    _log(api, token, "email", status="read", cost="0.001")
    _log(api, token, "email", status="clicked")
    _log(api, token, "email", status="bounced")
    sent = _send(api, token)
    _settle(local)
    return sent


def test_the_reports_add_up_what_was_sent_and_logged(api, local, t, fakes):
    sent = _the_mix(api, local, t["manager"])
    assert _get(api, t["user"], f"/communications/{sent['id']}")["status"] == "sent"

    stats = _get(api, t["user"], "/communications/stats")
    assert stats["total"] == 8 and stats["client_id"] == t["id"]
    assert {k: v for k, v in stats["by_channel"].items() if v} == {"sms": 5, "email": 3}
    assert stats["by_direction"] == {"outbound": 7, "inbound": 1}
    assert {k: v for k, v in stats["by_status"].items() if v} == {
        "delivered": 2, "replied": 1, "failed": 1, "read": 1, "clicked": 1, "bounced": 1, "sent": 1}
    assert stats["by_message_type"]["transactional"] == 1  # createCommunication's default
    assert Decimal(str(stats["total_cost"])) == Decimal("0.016") and stats["total_segments"] == 4

    rates = _get(api, t["user"], "/communications/delivery-rates")
    assert (rates["outbound"], rates["sent"], rates["delivered"], rates["failed"], rates["bounced"]) == (7, 6, 4, 1, 1)
    assert (rates["delivery_rate"], rates["bounce_rate"], rates["failure_rate"]) == (0.6667, 0.1667, 0.1429)
    by = {row["channel"]: row for row in rates["by_channel"]}
    assert set(by) == {"sms", "email"}
    assert (by["sms"]["sent"], by["sms"]["delivered"], by["sms"]["failed"]) == (3, 2, 1)
    assert (by["email"]["sent"], by["email"]["delivered"], by["email"]["bounced"]) == (3, 2, 1)

    costs = _get(api, t["user"], "/communications/costs")
    assert Decimal(str(costs["cost"])) == Decimal("0.016") and costs["segments"] == 4 and costs["sent"] == 6
    by = {row["channel"]: row for row in costs["by_channel"]}
    assert Decimal(str(by["sms"]["cost"])) == Decimal("0.015")
    assert Decimal(str(by["sms"]["average_cost_per_message"])) == Decimal("0.005")
    assert Decimal(str(by["email"]["average_cost_per_message"])) == Decimal("0.000333")

    engagement = _get(api, t["user"], "/communications/engagement")
    assert (engagement["delivered"], engagement["opened"], engagement["clicked"], engagement["replied"]) == (4, 2, 1, 1)
    assert (engagement["open_rate"], engagement["click_rate"], engagement["click_to_open_rate"],
            engagement["reply_rate"]) == (0.5, 0.25, 0.5, 0.25)

    responses = _get(api, t["user"], "/communications/response-rates")
    assert (responses["delivered"], responses["replied"], responses["inbound"], responses["response_rate"]) == \
        (4, 1, 1, 0.25)
    by = {row["channel"]: row for row in responses["by_channel"]}
    assert (by["sms"]["response_rate"], by["email"]["response_rate"]) == (0.5, 0.0)

    # One channel: the same figures, of its messages alone.
    sms = _get(api, t["user"], "/communications/stats", channel="sms")
    assert sms["total"] == 5 and sms["by_direction"] == {"outbound": 4, "inbound": 1} and sms["channel"] == "sms"
    assert {k: v for k, v in sms["by_status"].items() if v} == {"delivered": 2, "replied": 1, "failed": 1, "sent": 1}
    only = _get(api, t["user"], "/communications/delivery-rates", channel="email")
    assert (only["sent"], only["delivered"]) == (3, 2) and [r["channel"] for r in only["by_channel"]] == ["email"]

    # A status move moves the figures: the sent sms is delivered now.
    r = api.post(f"/communications/{sent['id']}/status", token=t["manager"], json={"status": "delivered"})
    assert r.status_code == 200, r.text
    local.poller.settle("streams")
    assert _get(api, t["user"], "/communications/delivery-rates")["delivered"] == 5

    # By UTC day of creation: today holds them all, a range that ends yesterday none.
    today = clock.now().date()
    day = _get(api, t["user"], "/communications/stats", start_date=today.isoformat(), end_date=today.isoformat())
    assert day["total"] == 8 and day["start_date"] == today.isoformat()
    assert _get(api, t["user"], "/communications/stats", start_date=(today - timedelta(days=99)).isoformat())["total"] == 8
    before = {"start_date": (today - timedelta(days=30)).isoformat(), "end_date": (today - timedelta(days=1)).isoformat()}
    assert _get(api, t["user"], "/communications/engagement", **before)["delivered"] == 0


@pytest.mark.parametrize(("params", "field"), [
    ({"start_date": "2026-02-10", "end_date": "2026-02-01"}, "/query/end_date"),
    ({"start_date": "2025-01-01", "end_date": "2025-12-31"}, "/query/start_date"),  # more than 100 days
    ({"end_date": "2026-02-01"}, "/query/start_date"),
    ({"start_date": "2026-13-01"}, "/query/start_date"),
    ({"channel": "fax"}, "/query/channel"),
    ({"bogus": "1"}, "/query/bogus"),
])
def test_a_bad_range_or_channel_is_a_400_naming_the_field(api, t, params, field):
    for path in ("/communications/stats", "/communications/delivery-rates", "/communications/costs",
                 "/communications/engagement", "/communications/response-rates"):
        r = api.get(path, token=t["user"], params=params)
        assert r.status_code == 400 and r.json()["field"] == field, (path, r.text)


def test_another_tenants_reports_and_lists_are_not_found(api, local, t):

    other = local.logins["manager"]
    theirs = api.post("/auth/login", json={"email": other["email"], "password": other["password"]}).json()
    params = {"client_id": t["id"]}
    for path in ("/communications/stats", "/communications/costs", "/communications/by-channel/sms"):
        r = api.get(path, token=theirs["access_token"], params=params)
        assert r.status_code == 404, (path, r.text)
    r = api.post("/communications/retry-failed", token=theirs["access_token"], params=params, json={})
    assert r.status_code == 404, r.text


def test_a_channels_list_is_read_from_its_index_newest_first(api, local, t, fakes):
    _the_mix(api, local, t["manager"])
    sms = _get(api, t["user"], "/communications/by-channel/sms")
    assert len(sms["items"]) == 5 and {c["channel"] for c in sms["items"]} == {"sms"}
    created = [c["created_at"] for c in sms["items"]]
    assert created == sorted(created, reverse=True) and sms["next_cursor"] is None
    emails = _get(api, t["user"], "/communications/by-channel/email", status="bounced")
    assert [c["status"] for c in emails["items"]] == ["bounced"]
    assert _get(api, t["user"], "/communications/by-channel/email", direction="inbound")["items"] == []
    first = _get(api, t["user"], "/communications/by-channel/sms", limit=2)
    rest = _get(api, t["user"], "/communications/by-channel/sms", limit=10, cursor=first["next_cursor"])
    assert [c["id"] for c in first["items"] + rest["items"]] == [c["id"] for c in sms["items"]]
    assert _get(api, t["user"], "/communications/by-channel/voice")["items"] == []
    r = api.get("/communications/by-channel/fax", token=t["user"])
    assert r.status_code == 400 and r.json()["field"] == "/path/channel", r.text


def test_a_members_timeline_has_what_was_sent_and_what_came_back(api, local, t, fakes):
    r = api.post("/members", token=t["manager"], json={"member_id": f"m-{new_id()}", "first_name": "Grace",
                                                       "phone": "+14155550177"})
    assert r.status_code == 201, r.text
    member = r.json()
    sent = _send(api, t["manager"], to_number=None, member_id=member["id"])
    _settle(local)
    clock.advance(5)
    reply = _log(api, t["user"], "sms", direction="inbound", status="delivered", member_id=member["id"],
                 content="yes please", to_number=SENDER, from_number="+14155550177")

    line = _get(api, t["user"], "/communications/timeline", member_id=member["id"])
    assert [(e["communication_id"], e["event"]) for e in line["events"]] == [
        (sent["id"], "queued"), (sent["id"], "sending"), (sent["id"], "sent"), (reply["id"], "delivered")]
    assert line["events"][-1]["direction"] == "inbound" and line["events"][-1]["content"] == "yes please"
    ats = [e["at"] for e in line["events"]]
    assert ats == sorted(ats) and line["next_cursor"] is None
    # A page at a time: the newest message first, the cursor goes back in time.
    newest = _get(api, t["user"], "/communications/timeline", member_id=member["id"], limit=1)
    assert {e["communication_id"] for e in newest["events"]} == {reply["id"]} and newest["next_cursor"]
    older = _get(api, t["user"], "/communications/timeline", member_id=member["id"], cursor=newest["next_cursor"])
    assert {e["communication_id"] for e in older["events"]} == {sent["id"]}

    one = _get(api, t["user"], "/communications/timeline", communication_id=sent["id"])
    assert [e["event"] for e in one["events"]] == ["queued", "sending", "sent"] and one["events"][1]["attempt"] == 1

    for params, field in (({}, "/query/member_id"), ({"member_id": member["id"], "communication_id": sent["id"]},
                                                     "/query/member_id"),
                          ({"communication_id": sent["id"], "cursor": newest["next_cursor"]}, "/query/cursor"),
                          ({"member_id": "not-an-id"}, "/query/member_id")):
        r = api.get("/communications/timeline", token=t["user"], params=params)
        assert r.status_code == 400 and r.json()["field"] == field, r.text
    r = api.get("/communications/timeline", token=t["user"], params={"member_id": new_id()})
    assert r.status_code == 404, r.text


def test_retry_requeues_the_spent_transient_failures_alone_and_sends_them_once(api, local, t, fakes):
    # A 5xx the provider may have acted on: settled at Twilio (not there), and with one attempt allowed,
    # spent: failed, retryable. 21211 and 21610 are permanent refusals, a marketing message to an opted-out
    # number is skipped, and a logged failure was never ours to send: none of them is retried.
    fakes.inject_fault("twilio", "500")
    spent = _send(api, t["manager"])
    _settle(local)
    _settle(local, 31)
    spent_now = _get(api, t["manager"], f"/communications/{spent['id']}")
    assert spent_now["status"] == "failed" and "retryable" not in spent_now
    invalid = _send(api, t["manager"], to_number=INVALID)
    stopped = _send(api, t["manager"], to_number=UNSUBSCRIBED, message_type="marketing")
    _log(api, t["manager"], "sms", status="failed")
    _settle(local)
    refused = _get(api, t["manager"], f"/communications/{invalid['id']}")
    assert refused["status"] == "failed" and refused["error_code"] == "21211"
    assert _get(api, t["manager"], f"/communications/{stopped['id']}")["error_code"] == "21610"
    skipped = _send(api, t["manager"], to_number=UNSUBSCRIBED, message_type="marketing")  # opted out now
    _settle(local)
    assert _get(api, t["manager"], f"/communications/{skipped['id']}")["error_code"] == "opted_out"
    assert _get(api, t["manager"], "/communications/delivery-rates")["failed"] == 5

    r = api.post("/communications/retry-failed", token=t["user"], json={})
    assert r.status_code == 403, r.text
    r = api.post("/communications/retry-failed", token=t["manager"], json={"channel": "email"})
    assert r.status_code == 200 and r.json()["results"] == [], r.text
    r = api.post("/communications/retry-failed", token=t["manager"], json={"channel": "sms"})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [x["id"] for x in answer["results"]] == [spent["id"]] and (answer["succeeded"], answer["failed"]) == (1, 0)
    assert answer["results"][0]["status"] == 200
    _settle(local)
    done = _get(api, t["manager"], f"/communications/{spent['id']}")
    assert done["status"] == "sent" and done["retry_count"] == 1
    assert [h["status"] for h in done["status_history"]][-3:] == ["queued", "sending", "sent"]
    assert done["status_history"][-3]["note"] == "retryFailedCommunications"
    assert len([m for m in fakes.outbox("twilio") if m["body"] == spent["content"]]) == 1
    assert _get(api, t["manager"], "/communications/delivery-rates")["failed"] == 4

    # Nothing left to retry; the move was audited, by whom.
    again = api.post("/communications/retry-failed", token=t["manager"], json={})
    assert again.status_code == 200 and again.json()["results"] == [], again.text
    activity = _get(api, t["admin"], f"/clients/{t['id']}/activity", limit=50)
    mine = [e for e in activity["items"] if e.get("operation") == "retryFailedCommunications"]
    assert len(mine) == 1 and mine[0]["entity_id"] == spent["id"], mine


@pytest.mark.parametrize(("body", "field"), [
    ({"limit": 0}, "/body/limit"), ({"limit": 101}, "/body/limit"), ({"channel": "fax"}, "/body/channel"),
    ({"created_from": 2000, "created_to": 1000}, "/body/created_to"), ({"status": "sent"}, "/body/status"),
])
def test_a_bad_retry_filter_is_a_400_naming_the_field(api, t, body, field):
    r = api.post("/communications/retry-failed", token=t["manager"], json=body)
    assert r.status_code == 400 and r.json()["field"] == field, r.text


def test_the_export_holds_every_communication_as_the_api_shows_it(api, local, t, fakes):
    _the_mix(api, local, t["manager"])
    assert api.post("/communications/export", token=t["manager"]).status_code == 403
    started = api.post("/communications/export", token=t["admin"])
    assert started.status_code == 202, started.text
    assert started.json()["what"] == "communications"
    job, text = finished(api, started, t["admin"])
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == 8 == job["items_written"] and {r["type"] for r in rows} == {"communication"}
    assert all(r["data"]["client_id"] == t["id"] for r in rows)
    assert "send_attempt" not in text and "lease_until" not in text  # the send bookkeeping stays inside
    assert sorted(r["data"]["channel"] for r in rows) == ["email"] * 3 + ["sms"] * 5


def test_a_damaged_counter_is_repaired_by_the_recount(api, local, t, fakes, state_file, capsys):  # noqa: F811
    _the_mix(api, local, t["manager"])
    ddb, counter = local.aws.client("dynamodb"), f"T#{t['id']}#COUNTER#COMMSTATS"
    ddb.update_item(TableName=local.aws.names["Table"], Key={"PK": {"S": counter}, "SK": {"S": "COUNTER"}},
                    UpdateExpression="ADD #t :n", ExpressionAttributeNames={"#t": "total"},
                    ExpressionAttributeValues={":n": {"N": "5"}})
    assert _get(api, t["user"], "/communications/stats")["total"] == 13
    code = cli.main(["recount", "--client", t["id"], "--port", str(local.port)])
    out = capsys.readouterr().out
    assert code == 0 and "written" in out, out
    assert _get(api, t["user"], "/communications/stats")["total"] == 8
    cli.main(["recount", "--client", t["id"], "--dry-run", "--port", str(local.port)])
    assert "every counter is right" in capsys.readouterr().out


def test_the_csv_export_has_a_header_and_a_row_for_each_communication(api, local, t, fakes):
    import csv
    import io

    from shared.communications.export_sources import COLUMNS

    formula = _log(api, t["manager"], "sms", content='=HYPERLINK("http://evil.example","x")')
    quoted = _log(api, t["manager"], "email", content='a "quoted", multi-line\nbody', cost="0.25")
    r = api.post("/communications/export", token=t["admin"], params={"format": "xml"})
    assert r.status_code == 400 and r.json()["field"] == "/query/format", r.text
    started = api.post("/communications/export", token=t["admin"], params={"format": "csv"})
    assert started.status_code == 202, started.text
    job, text = finished(api, started, t["admin"])
    assert job["format"] == "csv" and ".csv" in job["download_url"].split("?")[0]
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == COLUMNS and len(rows) == 2 == job["items_written"]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_id[formula["id"]]["content"] == "'" + formula["content"]  # never run as a formula
    assert by_id[formula["id"]]["to_number"] == "+14155550123"  # a phone number is left as it is
    assert by_id[quoted["id"]]["content"] == quoted["content"] and by_id[quoted["id"]]["cost"] == "0.25"
    assert json.loads(by_id[quoted["id"]]["status_history"])[0]["status"] == "sent"


def test_a_duplicated_or_late_stream_record_changes_no_figure(api, local, t, fakes):
    from shared.communications.store import comm_key
    from shared.db import projections

    comm = _log(api, t["manager"], "sms", status="sent")
    local.poller.settle("streams")
    r = api.post(f"/communications/{comm['id']}/status", token=t["manager"], json={"status": "delivered"})
    assert r.status_code == 200, r.text
    local.poller.settle("streams")
    before = _get(api, t["user"], "/communications/delivery-rates")
    assert (before["sent"], before["delivered"]) == (1, 1)

    [now] = projections.get_images([(comm_key(t["id"], comm["id"]), "COMM")])
    late = {**now, "status": "sent", "version": now["version"] - 1}  # the record of the write before
    assert projections.apply(projections.change_of(now)) == 0  # the same record again
    assert projections.apply(projections.change_of(late)) == 0  # an older one, after the newer
    assert _get(api, t["user"], "/communications/delivery-rates") == before
    assert _get(api, t["user"], "/communications/by-channel/sms")["items"][0]["status"] == "delivered"
