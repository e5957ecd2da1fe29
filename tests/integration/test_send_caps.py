"""Frequency caps through the gateway: a member's marketing messages per channel per UTC day and week
(`messaging.frequency_caps`), counted from the stream; over a cap a marketing message waits for the next
day (`over_cap` defer: nothing marked, parked overnight and queued again by the sweeper) or is failed as
skipped (`skip`); transactional messages go whatever the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import clock
from shared.ids import new_id
from tests.integration.test_communications import _get, _history
from tests.integration.test_send_pacing import _login, _tenant

SENDER = "+15005550006"


@pytest.fixture(scope="module")
def tenant(api, local):
    creds = local.logins["super_admin"]
    return _tenant(api, _login(api, creds["email"], creds["password"]), [])


def _set(api, token, key, value):
    r = api.put("/settings", token=token, json={"key": key, "value": value})
    assert r.status_code == 200, r.text


def _sms(api, token, member_id, message_type):
    r = api.post("/communications", token=token, json={
        "channel": "sms", "member_id": member_id, "from_number": SENDER, "message_type": message_type,
        "content": f"{message_type} {new_id()}"})
    assert r.status_code == 202, r.text
    return r.json()


def _run(local):
    local.poller.settle("sqs")
    local.poller.settle("streams")  # the sends counted for the next check


@pytest.fixture
def midday():
    now = datetime.fromtimestamp(clock.now_ms() / 1000, tz=UTC)
    clock.freeze(int(now.replace(hour=12, minute=0, second=0, microsecond=0).timestamp() * 1000))
    yield
    clock.reset()


def test_marketing_over_the_daily_cap_waits_for_the_next_day_and_transactional_goes(api, local, tenant, midday):
    token = _login(api, tenant["email"])
    _set(api, token, "messaging.frequency_caps", {"sms": {"per_day": 2, "per_week": 5}})
    r = api.post("/members", token=token, json={"member_id": f"cap-{new_id()}", "phone": "+14155550177"})
    assert r.status_code == 201, r.text
    member = r.json()["id"]

    first = [_sms(api, token, member, "marketing") for _ in range(2)]
    _run(local)
    assert [_get(api, token, c["id"])["status"] for c in first] == ["sent", "sent"]

    third = _sms(api, token, member, "marketing")
    receipt = _sms(api, token, member, "transactional")
    _run(local)
    waiting = _get(api, token, third["id"])
    assert waiting["status"] == "queued" and _history(waiting) == ["queued"]  # nothing marked, no attempt
    assert _get(api, token, receipt["id"])["status"] == "sent"  # never capped

    # Past midnight UTC the day has room again: the sweeper queues the parked message, and it goes.
    tomorrow = datetime.fromtimestamp(clock.now_ms() / 1000, tz=UTC) + timedelta(hours=12, minutes=1)
    clock.freeze(int(tomorrow.timestamp() * 1000))
    local.poller.settle("schedules", "sqs")
    _run(local)
    token = _login(api, tenant["email"])
    sent = _get(api, token, third["id"])
    assert sent["status"] == "sent" and sent["retry_count"] == 0 and sent["sent_at"] >= tomorrow.timestamp() * 1000 - 60_000

    # The week's cap (5) counts the days before: 2 yesterday, 1 today, 2 more today, then the 6th is over it.
    _set(api, token, "messaging.frequency_caps", {"sms": {"per_day": 5, "per_week": 5}})
    more = [_sms(api, token, member, "marketing") for _ in range(2)]
    _run(local)
    assert [_get(api, token, c["id"])["status"] for c in more] == ["sent", "sent"]
    _set(api, token, "messaging.frequency_caps", {"over_cap": "skip", "sms": {"per_day": 5, "per_week": 5}})
    skipped = _sms(api, token, member, "marketing")
    receipt = _sms(api, token, member, "transactional")
    _run(local)
    got = _get(api, token, skipped["id"])
    assert got["status"] == "failed" and got["provider_status"] == "skipped" and got["error_code"] == "frequency_cap"
    assert _history(got) == ["queued", "sending", "failed"]
    assert _get(api, token, receipt["id"])["status"] == "sent"
    local.poller.settle("streams")  # counted by its reason in the tenant's stats (this test's tenant alone)
    stats = api.get("/communications/stats", token=token, params={"channel": "sms"}).json()
    assert stats["skipped"] == {"total": 1, "opted_out": 0, "frequency_cap": 1}
