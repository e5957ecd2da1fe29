"""The analytic member operations through the gateway: a small history whose scores are computed
here by hand from the formulas of shared.members.insights, and each refusal.

The clock is frozen at T for every test; the history is written with `at` values whole days before
T, so every "days since" and every 30-day window is exact. Opens, clicks and failed payments come in
through `insights.record_signal`, as communications and billing will send them.
"""

# ruff: noqa: F811 - the imported fixtures are parameters of the tests by design

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shared import clock
from shared.ids import new_id
from tests.eventually import eventually
from tests.integration.test_members import _problem, sa, tenant  # noqa: F401 - fixtures, passed by name

DAY = 24 * 60 * 60 * 1000


def _member(tenant_id: str, created_at: int, **fields) -> str:
    """A member written as createMember writes it, but joined `created_at` (createMember stamps now)."""
    from shared.members import store

    return store.create(store.Member(id=new_id(), client_id=tenant_id, member_id=f"I-{new_id()}", tier="basic",
                                     status="active", created_at=created_at, **fields)).id


@pytest.fixture(scope="module")
def history(api, tenant):
    """One member with 90 days of history, written at T:
    activity: 3 events in the last 30 days (2, 5, 10 days ago), 6 in the 30 before (35, 40 days ago),
      then a late one from 50 days ago; opens: 4 (1 day ago), 5 (45 days ago); clicks: 1 (1 day ago);
      a failed payment 7 days ago;
    spend: 100.00 (60 days ago), 50.50 (20 days ago, sent twice with one reference), a refund of 20.50."""
    from shared.members import insights

    t = clock.freeze()
    mid = _member(tenant["id"], t - 100 * DAY)
    for days in (2, 5, 10, 35, 35, 35, 40, 40, 40, 50):
        r = api.post(f"/members/{mid}/activity", token=tenant["user"], json={"type": "login", "at": t - days * DAY})
        assert r.status_code == 201, r.text
    for signal, days, n in (("open", 1, 4), ("open", 45, 5), ("click", 1, 1), ("failed_payment", 7, 1)):
        insights.record_signal(tenant["id"], mid, signal, t - days * DAY, n)
    spends = [{"amount": 100, "at": t - 60 * DAY}, {"amount": 50.5, "at": t - 20 * DAY, "reference": "order-2"},
              {"amount": 50.5, "at": t - 20 * DAY, "reference": "order-2"},
              {"amount": 20.5, "kind": "refund", "reference": "refund-2"}]
    answers = []
    for body in spends:
        answers.append(_exact(api.post(f"/members/{mid}/spend", token=tenant["manager"], json=body)))
    return {"t": t, "id": mid, "spend": answers}


@pytest.fixture
def at_t(history):
    clock.freeze(history["t"])
    return history


def _factors(answer: dict) -> dict:
    return {f["factor"]: f for f in answer["factors"]}


def _exact(r) -> dict:
    """The answer with its numbers as Decimal, digit for digit as sent."""
    assert r.status_code < 300, r.text
    return json.loads(r.text, parse_float=Decimal)


def test_activity_moves_last_active_forward_only(api, tenant, at_t):
    mid = _member(tenant["id"], at_t["t"] - 10 * DAY)
    for days in (2, 50):  # the second arrives late
        r = api.post(f"/members/{mid}/activity", token=tenant["user"], json={"type": "login", "at": at_t["t"] - days * DAY})
        assert r.status_code == 201 and r.json()["last_active"] == at_t["t"] - 2 * DAY, r.text
    assert api.get(f"/members/{mid}", token=tenant["user"]).json()["last_active"] == at_t["t"] - 2 * DAY
    r = api.post(f"/members/{mid}/activity", token=tenant["user"],
                 json={"type": "store_visit", "metadata": {"store": "Soho", "basket": [1, 2]}})
    assert r.status_code == 201, r.text
    assert (r.json()["at"], r.json()["last_active"], r.json()["type"]) == (at_t["t"], at_t["t"], "store_visit")
    assert r.json()["metadata"] == {"store": "Soho", "basket": [1, 2]}  # `at` defaulted to now
    assert api.get(f"/members/{mid}", token=tenant["user"]).json()["last_active"] == at_t["t"]
    from shared.members import activity

    events, _ = activity.events(tenant["id"], mid, limit=10)
    assert [e.at for e in events] == [at_t["t"], at_t["t"] - 2 * DAY, at_t["t"] - 50 * DAY]  # all three kept
    assert activity.engagement(tenant["id"], mid).in_days("activity", 30) == 2


def test_spend_is_recorded_once_per_reference(at_t):
    first, second, retried, refund = at_t["spend"]
    assert (first["total_spend"], second["total_spend"]) == (100, Decimal("150.5"))
    assert retried["recorded"] is False and retried["total_spend"] == Decimal("150.5") \
        and retried["purchase_count"] == 2 and retried["version"] == second["version"]
    assert refund["total_spend"] == 130 and refund["refund_total"] == Decimal("20.5")
    assert refund["purchase_count"] == 2 and refund["average_order_value"] == 65  # (150.50 − 20.50) / 2
    assert refund["first_purchase_at"] == at_t["t"] - 60 * DAY and refund["last_purchase_at"] == at_t["t"] - 20 * DAY


def test_engagement_score_by_hand(api, tenant, at_t):
    got = _exact(api.post(f"/members/{at_t['id']}/engagement", token=tenant["manager"]))
    factors = _factors(got)
    # recency 1 − 2/90 = 0.9778; frequency 3/20 = 0.15; opens 4/10; clicks 1/5; replies 0/3.
    assert {k: (f["value"], f["weight"]) for k, f in factors.items()} == {
        "recency": (Decimal("0.9778"), Decimal("0.35")), "frequency": (Decimal("0.15"), Decimal("0.35")),
        "opens": (Decimal("0.4"), Decimal("0.1")), "clicks": (Decimal("0.2"), Decimal("0.1")),
        "replies": (0, Decimal("0.1"))}
    assert factors["frequency"]["inputs"]["last_30_days"] == 3 and factors["recency"]["inputs"]["days_since_active"] == 2
    # 34.223 + 5.25 + 4 + 2 + 0 = 45.473
    assert got["engagement_score"] == Decimal("45.5") and sum(f["contribution"] for f in got["factors"]) == \
        Decimal("45.473")
    assert api.get(f"/members/{at_t['id']}", token=tenant["user"]).json()["engagement_score"] == 45.5
    _problem(api.post(f"/members/{at_t['id']}/engagement", token=tenant["manager"], headers={"if-match": '"1"'}),
             412, "/headers/if-match")
    _problem(api.post(f"/members/{at_t['id']}/engagement", token=tenant["user"]), 403)


def test_churn_risk_by_hand(api, tenant, at_t):
    got = _exact(api.get(f"/members/{at_t['id']}/churn-risk", token=tenant["user"]))
    factors = _factors(got)
    # recency: last seen 2 days ago, 2/90 = 0.0222; trend: 3 + 4 + 1 = 8 engaged signals in the last 30
    # days against 6 + 1 + 5 = 12 before: 4/12 = 0.3333; failed payments 1/3; opt-outs none.
    assert {k: f["value"] for k, f in factors.items()} == {
        "recency": Decimal("0.0222"), "engagement_trend": Decimal("0.3333"), "failed_payments": Decimal("0.3333"),
        "opt_outs": 0}
    assert factors["engagement_trend"]["inputs"] == {"signals": ["activity", "open", "click", "reply"],
                                                     "last_30_days": 8, "previous_30_days": 12}
    # 0.4 × 0.0222 + 0.3 × 0.3333 + 0.2 × 0.3333 = 0.17553
    assert got["churn_risk"] == Decimal("0.176") and got["band"] == "low"


def test_lifetime_value_by_hand(api, tenant, at_t):
    got = _exact(api.get(f"/members/{at_t['id']}/lifetime-value", token=tenant["user"]))
    projection = _factors(got)["projected_spend"]["inputs"]
    # AOV 130 / 2 = 65.00; 2 purchases over 60 days = 2 months: 1 a month; 24 × (1 − 0.176) = 19.78 months.
    assert (projection["average_order_value"], projection["purchases_per_month"],
            projection["expected_remaining_months"]) == (65, 1, Decimal("19.78"))
    assert (got["historical_net_spend"], got["projected_spend"]) == (130, Decimal("1285.7"))
    assert got["lifetime_value"] == Decimal("1415.7")
    assert _exact(api.get(f"/members/{at_t['id']}", token=tenant["user"]))["lifetime_value"] == Decimal("1415.7")


def test_a_first_purchase_is_enough_for_a_lifetime_value(api, tenant, at_t):
    mid = _member(tenant["id"], at_t["t"] - 10 * DAY)
    spent = api.post(f"/members/{mid}/spend", token=tenant["admin"], json={"amount": 40, "at": at_t["t"] - 3 * DAY})
    assert spent.status_code == 200, spent.text
    got = _exact(api.get(f"/members/{mid}/lifetime-value", token=tenant["admin"]))
    # Churn: last seen at the purchase 3 days ago (3/90 = 0.0333 × 0.4 = 0.013); one purchase 3 days
    # ago is one a month (at least a month is observed); 24 × 0.987 = 23.69 months of 40.00 each.
    assert _factors(got)["projected_spend"]["inputs"]["churn_risk"] == Decimal("0.013")
    assert got["projected_spend"] == Decimal("947.6") and got["lifetime_value"] == Decimal("987.6")


def test_recommendations_rank_the_next_tier_with_its_reason(api, tenant, at_t):
    got = _exact(api.get(f"/members/{at_t['id']}/recommendations", token=tenant["user"]))
    tier = [x for x in got["recommendations"] if x["kind"] == "tier"]
    assert got["engagement_score"] == Decimal("45.5") and got["total_spend"] == 130
    assert tier == [{"rank": len(got["recommendations"]), "kind": "tier", "tier": "premium", "benefit_id": None,
                     "name": None, "eligible": False,
                     "reason": "premium needs 370.00 more spend (has 130.00 of 500.00)"}]
    rich = _member(tenant["id"], at_t["t"] - DAY, total_spend=Decimal(600), last_active=at_t["t"])
    from shared.members import insights

    insights.record_signal(tenant["id"], rich, "activity", at_t["t"], 20)
    first = api.get(f"/members/{rich}/recommendations", token=tenant["user"]).json()["recommendations"][0]
    # recency 1 × 35 + frequency 20/20 × 35 = 70 ≥ 40, and 600 ≥ 500: earned, and ranked first.
    assert (first["rank"], first["tier"], first["eligible"]) == (1, "premium", True)
    assert first["reason"] == "total spend 600.00 ≥ 500.00 and engagement 70.0 ≥ 40: premium is earned"


def test_tier_moves_up_for_a_manager_and_down_for_an_admin_only(api, tenant, at_t):
    mid = _member(tenant["id"], at_t["t"])
    up = api.post(f"/members/{mid}/tier", token=tenant["manager"], json={"tier": "elite", "reason": "VIP event"})
    assert up.status_code == 200 and up.json()["tier"] == "elite", up.text
    clock.advance(1)  # the audit log's order is by time: the move down comes a second later
    _problem(api.post(f"/members/{mid}/tier", token=tenant["manager"], json={"tier": "basic", "reason": "oops"}),
             403, "/body/tier")
    _problem(api.post(f"/members/{mid}/tier", token=tenant["admin"], json={"tier": "elite", "reason": "again"}),
             409, "/body/tier")
    _problem(api.post(f"/members/{mid}/tier", token=tenant["admin"], json={"tier": "basic"}), 400, "/body/reason")
    _problem(api.post(f"/members/{mid}/tier", token=tenant["admin"], headers={"if-match": '"1"'},
                      json={"tier": "basic", "reason": "stale"}), 412, "/headers/if-match")
    down = api.post(f"/members/{mid}/tier", token=tenant["admin"], headers={"if-match": f'"{up.json()["version"]}"'},
                    json={"tier": "premium", "reason": "chargeback on the qualifying order"})
    assert down.status_code == 200 and down.json()["tier"] == "premium", down.text
    log = api.get(f"/clients/{tenant['id']}/activity", token=tenant["admin"], params={"entity_type": "member"}).json()
    moves = [(e["changes"]["tier"], e["reason"]) for e in log["items"]
             if e["entity_id"] == mid and e["operation"] == "upgradeMemberTier"]
    assert moves == [({"before": "elite", "after": "premium"}, "chargeback on the qualifying order"),
                     ({"before": "basic", "after": "elite"}, "VIP event")]
    _problem(api.post(f"/members/{mid}/tier", token=tenant["user"], json={"tier": "elite", "reason": "me"}), 403)


def test_referrals_page_with_their_spend_and_totals(api, tenant, at_t):
    referrer = _member(tenant["id"], at_t["t"] - DAY)
    made = []
    for spend in (10.25, None, 5):
        clock.advance(1)  # newest first: each joins a second after the one before
        body = {"member_id": f"R-{new_id()}", "referred_by": referrer, **({"total_spend": spend} if spend else {})}
        r = api.post("/members", token=tenant["manager"], json=body)
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    first = api.get(f"/members/{referrer}/referrals", token=tenant["user"], params={"limit": 2}).json()
    assert [m["id"] for m in first["items"]] == made[:0:-1] and first["items"][1]["total_spend"] is None
    rest = api.get(f"/members/{referrer}/referrals", token=tenant["user"],
                   params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [m["id"] for m in rest["items"]] == made[:1] and rest["next_cursor"] is None
    assert _exact(api.get(f"/members/{referrer}/referrals", token=tenant["user"],
                          params={"limit": 2, "cursor": first["next_cursor"]}))["items"][0]["total_spend"] == \
        Decimal("10.25")

    def totals():
        got = _exact(api.get(f"/members/{referrer}/referrals", token=tenant["user"]))["totals"]
        return got if got["referrals"] == 3 else None

    assert eventually(totals) == {"referrals": 3, "total_spend": Decimal("15.25")}  # from the stream's counter
    _problem(api.get(f"/members/{referrer}/referrals", token=tenant["other_admin"]), 404)


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"amount": 0}, 400, "/body/amount"),
    ({"amount": -5}, 400, "/body/amount"),
    ({"amount": "1e400"}, 400, "/body/amount"),
    ({"amount": 1, "kind": "gift"}, 400, "/body/kind"),
    ({"amount": 1000, "kind": "refund"}, 409, "/body/amount"),  # more than the member's net spend
    ({"amount": 99, "reference": "order-2"}, 409, "/body/reference"),  # recorded for 50.50
    ({"amount": 1, "at": 10**13}, 400, "/body/at"),  # far in the future
])
def test_bad_spend_is_refused_by_name(api, tenant, at_t, body, status, field):
    _problem(api.post(f"/members/{at_t['id']}/spend", token=tenant["manager"], json=body), status, field)


@pytest.mark.parametrize(("body", "field"), [
    ({"type": ""}, "/body/type"),
    ({"type": "has space"}, "/body/type"),
    ({"type": "login", "metadata": {"blob": "x" * 5000}}, "/body/metadata"),
    ({"type": "login", "metadata": [1, 2]}, "/body/metadata"),
    ({"type": "login", "at": "yesterday"}, "/body/at"),
])
def test_bad_activity_is_refused_by_name(api, tenant, at_t, body, field):
    _problem(api.post(f"/members/{at_t['id']}/activity", token=tenant["user"], json=body), 400, field)


def test_activity_a_few_minutes_ahead_is_taken_and_further_is_refused(api, tenant, at_t):
    mid = _member(tenant["id"], at_t["t"])
    ahead = api.post(f"/members/{mid}/activity", token=tenant["user"],
                     json={"type": "login", "at": at_t["t"] + 4 * 60 * 1000})
    assert ahead.status_code == 201, ahead.text
    _problem(api.post(f"/members/{mid}/activity", token=tenant["user"],
                      json={"type": "login", "at": at_t["t"] + 6 * 60 * 1000}), 400, "/body/at")


def test_another_tenants_member_is_not_found(api, tenant, at_t):
    for method, path in (("post", "engagement"), ("get", "churn-risk"), ("get", "lifetime-value"),
                         ("get", "recommendations")):
        _problem(getattr(api, method)(f"/members/{at_t['id']}/{path}", token=tenant["other_admin"]), 404)
    _problem(api.post(f"/members/{at_t['id']}/activity", token=tenant["other_admin"], json={"type": "login"}), 404)
