"""getMemberStats and getMemberSegments through the gateway: what a tenant's members add up to, kept
by the stream consumer, read from one counter item."""

from __future__ import annotations

import pytest

from shared import clock
from shared.ids import new_id

PASSWORD = "correct-horse-battery"
DAY = 86_400_000


@pytest.fixture(scope="module")
def tenant(api, local):
    creds = local.logins["super_admin"]
    sa = api.post("/auth/login", json={"email": creds["email"], "password": creds["password"]}).json()["access_token"]
    r = api.post("/clients", token=sa, json={"name": f"Counters Co {new_id()}", "subscription_tier": "premium"})
    assert r.status_code == 201, r.text
    client_id, email = r.json()["id"], f"u-{new_id().lower()}@counters.example"
    r = api.post("/users", token=sa, json={"email": email, "role": "manager", "password": PASSWORD,
                                           "client_id": client_id})
    assert r.status_code == 201, r.text
    token = api.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
    return {"id": client_id, "token": token}


def _member(api, tenant, **fields) -> dict:
    r = api.post("/members", token=tenant["token"], json={"member_id": f"C-{new_id()}", **fields})
    assert r.status_code == 201, r.text
    return r.json()


def _scored(tenant, member_id: str, score: float) -> None:
    """engagement_score is server-kept (its own operation computes it): written as that operation would."""
    from shared.members import store

    store.update(tenant["id"], member_id, {"engagement_score": score}, actor=None, operation="test")


def test_a_tenant_without_members_answers_zeros(api, tenant):
    params = {"client_id": tenant["id"]}
    stats = api.get("/members/stats", token=tenant["token"], params=params).json()
    assert (stats["total"], stats["by_tier"], stats["total_spend"], stats["average_spend"]) == (0, {}, 0, None)
    segments = api.get("/members/segments", token=tenant["token"], params=params).json()
    assert segments["tier"][0] == {"value": "basic", "count": 0, "share": 0.0}
    assert segments["acquisition_channel"] == []


def test_stats_and_segments_add_up_the_live_members(api, local, tenant):
    now = clock.freeze()  # every member joins this month, whatever the day the suite runs on
    ann = _member(api, tenant, tier="premium", total_spend="120.50", acquisition_channel="instagram",
                  acquisition_cost="10", last_active=now - 2 * DAY)
    _member(api, tenant, tier="premium", total_spend="2500", acquisition_channel="instagram",
            last_active=now - 29 * DAY, referred_by=ann["id"])
    _member(api, tenant, tier="elite", status="pending", acquisition_channel="referral", acquisition_cost="30",
            last_active=now - 30 * DAY)  # 31 days ago, counting today: not active in the last 30
    gone = _member(api, tenant, tier="executive", total_spend="999", acquisition_channel="tv")
    _scored(tenant, ann["id"], 72.5)
    from shared.members import store

    store.soft_delete(tenant["id"], gone["id"], actor=None)
    local.poller.settle("streams")

    params = {"client_id": tenant["id"]}
    stats = api.get("/members/stats", token=tenant["token"], params=params)
    assert stats.status_code == 200, stats.text
    assert stats.json() == {
        "client_id": tenant["id"], "total": 3, "by_status": {"active": 2, "pending": 1},
        "by_tier": {"premium": 2, "elite": 1}, "new_this_month": 3, "active_last_30_days": 2, "referred": 1,
        "total_spend": 2620.5, "average_spend": 873.5, "total_lifetime_value": 0, "average_lifetime_value": 0,
        "average_acquisition_cost": 20, "average_engagement_score": 72.5}

    segments = api.get("/members/segments", token=tenant["token"], params=params).json()
    counts = {dim: {s["value"]: s["count"] for s in segments[dim]} for dim in
              ("tier", "status", "engagement_band", "spend_band", "acquisition_channel")}
    assert counts == {
        "tier": {"basic": 0, "premium": 2, "elite": 1, "executive": 0},
        "status": {"active": 2, "inactive": 0, "pending": 1, "suspended": 0, "churned": 0},
        "engagement_band": {"hot": 1, "warm": 0, "cool": 0, "cold": 0, "none": 2},
        "spend_band": {"vip": 0, "high": 1, "medium": 0, "low": 1, "zero": 0, "none": 1},
        "acquisition_channel": {"instagram": 2, "referral": 1}}
    assert segments["total"] == 3 and segments["tier"][1] == {"value": "premium", "count": 2, "share": 0.6667}
    assert [s["value"] for s in segments["acquisition_channel"]] == ["instagram", "referral"]  # most first
