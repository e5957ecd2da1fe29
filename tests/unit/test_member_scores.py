"""The engagement item stays bounded however long a member's history is, and the score formulas'
edges (no history, a rising trend) answer what the README says. Pure Python: no AWS."""

from __future__ import annotations

from decimal import Decimal

from shared import clock
from shared.members import activity, insights
from shared.members.store import Member

DAY = activity.DAY_MS


def _inputs() -> activity.MemberEngagement:
    return activity.MemberEngagement(client_id="01JCLIENT0000000000000000A", member_id="01JMEMBER0000000000000000A",
                                     version=0)


def test_a_year_of_daily_activity_keeps_ninety_days_and_counts_them_all():
    now = clock.freeze(1_800_000_000_000)
    inputs = _inputs()
    for days_ago in range(364, -1, -1):  # oldest first, a day at a time, as the clock would see them
        clock.freeze(now - days_ago * DAY)
        inputs.add("activity", clock.now_ms())
    clock.freeze(now)
    assert len(inputs.days["activity"]) == activity.KEPT_DAYS
    assert inputs.totals["activity"] == 365 and inputs.latest("activity") == now
    assert (inputs.in_days("activity", 30), inputs.in_days("activity", 30, skip=30)) == (30, 30)
    inputs.add("activity", now - 200 * DAY)  # a late event older than the window: counted in the total only
    assert inputs.totals["activity"] == 366 and inputs.in_days("activity", 90) == 90
    assert inputs.latest("activity") == now


def test_a_member_with_no_history_scores_zero_and_a_rising_trend_is_no_risk():
    now = clock.freeze(1_800_000_000_000)
    member = Member(id="01JMEMBER0000000000000000A", client_id="01JCLIENT0000000000000000A", member_id="m",
                    tier="basic", status="active", created_at=now - 45 * DAY)
    inputs = _inputs()
    assert insights.engagement_score(insights.engagement_factors(member, inputs)) == 0
    risk = insights.churn_factors(member, inputs)
    assert [(f["factor"], f["value"]) for f in risk] == [  # last seen: joining, 45 days ago
        ("recency", Decimal("0.5")), ("engagement_trend", 0), ("failed_payments", 0), ("opt_outs", 0)]
    inputs.add("open", now - 40 * DAY)
    inputs.add("open", now - DAY, 3)  # 3 recent against 1 before: rising
    assert insights.churn_factors(member, inputs)[1]["value"] == 0
    assert insights.churn_band(insights.churn_risk(risk)) == "low"  # 0.4 × 0.5 = 0.2
    assert [insights.churn_band(Decimal(x)) for x in ("0.299", "0.3", "0.599", "0.6")] == \
        ["low", "medium", "medium", "high"]
