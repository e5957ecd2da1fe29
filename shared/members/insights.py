"""Member scores: engagement, churn risk, lifetime value, recommendations; and the operations that
feed them (trackMemberActivity, updateMemberSpend, record_signal) or act on them (upgradeMemberTier).

Deterministic and explainable: the same stored inputs and the same clock (shared.clock) give the
same answer, and every answer lists its factors, each with its value, weight, contribution and the
inputs it was computed from. Each figure shown is rounded first and then used as shown, so an answer
can be recomputed by hand from its own factors.

Inputs (shared.members.activity): beside each member one ENGAGEMENT item keeps, per declared signal
(SIGNALS), a count per UTC day for the last 90 days, the all-time count and the latest time seen,
and the member's purchases (count, gross, refunds, first and last). Signals come from one function,
`record_signal(tenant, member_id, signal, at, amount=1)`: trackMemberActivity feeds `activity`,
updateMemberSpend (and billing's completed charges) `purchase`; communications will feed `open`,
`click`, `reply` and `opt_out`, billing `failed_payment`. Until a domain feeds a signal its count is
0 and so is its factor: the formulas do not change when it starts. "The last N days" are the N UTC
days ending today, today included; "days since" counts whole days (floor).

Engagement score, 0..100 = Σ contribution, contribution = 100 × weight × value, rounded to 0.1:
| factor    | value (0..1, 4 decimals)                                   | weight |
|-----------|------------------------------------------------------------|--------|
| recency   | 1 − days since last_active / 90, at least 0 (0 if never)   | 0.35   |
| frequency | activity events in the last 30 days / 20, at most 1        | 0.35   |
| opens     | message opens in the last 30 days / 10, at most 1          | 0.10   |
| clicks    | message clicks in the last 30 days / 5, at most 1          | 0.10   |
| replies   | message replies in the last 30 days / 3, at most 1         | 0.10   |
updateMemberEngagement stores it as the member's engagement_score.

Churn risk, 0..1 = Σ weight × value, rounded to 0.001; band low < 0.3 ≤ medium < 0.6 ≤ high:
| factor           | value (0..1, 4 decimals)                                          | weight |
|------------------|-------------------------------------------------------------------|--------|
| recency          | days since last seen / 90, at most 1; last seen = the latest of    | 0.40   |
|                  | last_active, the last purchase and joining (created_at)           |        |
| engagement_trend | engaged signals (activity, opens, clicks, replies) in the last 30  | 0.30   |
|                  | days r against the 30 before p: (p − r) / p when r < p, else 0     |        |
| failed_payments  | failed payments in the last 90 days / 3, at most 1                | 0.20   |
| opt_outs         | opt-outs in the last 90 days / 2, at most 1                       | 0.10   |

Lifetime value = historical net spend + projected spend, rounded to 0.01 (getMemberLifetimeValue,
stored as the member's lifetime_value):
- historical net spend: the member's total_spend (purchases less refunds, imported history included);
- projected spend = average order value × purchases per month × expected remaining months, where
  average order value = (purchases − refunds recorded) / purchases recorded (0.01),
  purchases per month = purchases recorded / months since the first one, at least 1 month (0.0001;
  months of 30 days), so it works from the first purchase: one purchase today is one a month until
  more is seen; expected remaining months = 24 × (1 − churn risk) (0.01): a member at no risk is
  expected to stay two years, one certain to leave none. No purchase recorded: no projection.

Recommendations: the next tier (TIER_REQUIREMENTS: total_spend and engagement score a tier asks
for) and the benefits the member's tier allows, ranked: what the member may have now first (the
tier, then the benefits in the order the benefits domain gives them), then the next tier still to
earn, with what it lacks. The engagement score is computed afresh, not read from the member.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.db.tx import Tx
from shared.errors import Conflict, Forbidden, ValidationFailed, VersionConflict
from shared.ids import new_id
from shared.members import activity, store
from shared.members.models import TIERS
from shared.members.service import tenant_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from shared.core.actor import Scope

SIGNALS = ("activity", "open", "click", "reply", "purchase", "failed_payment", "opt_out")
ENGAGED = ("activity", "open", "click", "reply")  # what the engagement trend counts
FUTURE_SKEW_MS = 5 * 60 * 1000  # an event's `at` may be this far ahead of our clock (the caller's may run fast)
_ATTEMPTS = 6

# Engagement: (factor, signal, window in days, count that earns the full value, weight).
RECENCY_WEIGHT, RECENCY_DAYS = Decimal("0.35"), 90
ENGAGEMENT_COUNTS = (
    ("frequency", "activity", 30, 20, Decimal("0.35")),
    ("opens", "open", 30, 10, Decimal("0.10")),
    ("clicks", "click", 30, 5, Decimal("0.10")),
    ("replies", "reply", 30, 3, Decimal("0.10")),
)
# Churn risk.
CHURN_RECENCY = (Decimal("0.40"), 90)
CHURN_TREND = (Decimal("0.30"), 30)
CHURN_COUNTS = (("failed_payments", "failed_payment", 90, 3, Decimal("0.20")),
                ("opt_outs", "opt_out", 90, 2, Decimal("0.10")))
CHURN_BANDS = ((Decimal("0.3"), "low"), (Decimal("0.6"), "medium"))  # below the bound: that band; else high
# Lifetime value.
HORIZON_MONTHS = 24
MONTH_MS = 30 * activity.DAY_MS
# Next tier: what a member needs to be recommended for it (total_spend, engagement score).
TIER_REQUIREMENTS: dict[str, tuple[Decimal, Decimal]] = {
    "premium": (Decimal(500), Decimal(40)),
    "elite": (Decimal(2000), Decimal(60)),
    "executive": (Decimal(10000), Decimal(75)),
}

_VALUE, _SCORE, _RISK, _CENTS = Decimal("0.0001"), Decimal("0.1"), Decimal("0.001"), Decimal("0.01")


def _q(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_EVEN)


def _up_to_one(count: int | Decimal, full: int) -> Decimal:
    return _q(min(Decimal(1), Decimal(count) / full), _VALUE)


def _factor(name: str, value: Decimal, weight: Decimal, scale: int, inputs: dict) -> dict:
    return {"factor": name, "value": value, "weight": weight, "contribution": value * weight * scale,
            "inputs": inputs}


def _days_since(at_ms: float | None) -> int | None:
    if at_ms is None:
        return None
    return max(0, (clock.now_ms() - int(at_ms)) // activity.DAY_MS)


# --- the formulas (module docstring) -----------------------------------------------------------
def engagement_factors(member: store.Member, inputs: activity.MemberEngagement) -> list[dict]:
    days = _days_since(member.last_active)
    recency = Decimal(0) if days is None else _q(max(Decimal(0), 1 - Decimal(days) / RECENCY_DAYS), _VALUE)
    return [_factor("recency", recency, RECENCY_WEIGHT, 100,
                    {"last_active": member.last_active, "days_since_active": days, "zero_after_days": RECENCY_DAYS}),
            *_counted(inputs, ENGAGEMENT_COUNTS, 100)]


def _counted(inputs: activity.MemberEngagement, table: tuple, scale: int) -> list[dict]:
    """A factor per (factor, signal, window, full count, weight) row: the signal's count in the
    window over the count that earns the full value."""
    out = []
    for name, signal, window, full, weight in table:
        count = inputs.in_days(signal, window)
        out.append(_factor(name, _up_to_one(count, full), weight, scale,
                           {"signal": signal, f"last_{window}_days": count, "full_value_at": full}))
    return out


def _total(factors: list[dict], step: Decimal) -> Decimal:
    return _q(sum((f["contribution"] for f in factors), Decimal(0)), step)


def engagement_score(factors: list[dict]) -> Decimal:
    return _total(factors, _SCORE)


def churn_factors(member: store.Member, inputs: activity.MemberEngagement) -> list[dict]:
    seen = max(t for t in (member.last_active, inputs.last_purchase_at, member.created_at) if t is not None)
    days = _days_since(seen) or 0
    weight, full = CHURN_RECENCY
    factors = [_factor("recency", _up_to_one(days, full), weight, 1,
                       {"last_seen": int(seen), "days_since_seen": days, "full_value_at": full})]
    weight, window = CHURN_TREND
    recent = sum(inputs.in_days(s, window) for s in ENGAGED)
    previous = sum(inputs.in_days(s, window, skip=window) for s in ENGAGED)
    decline = _q(Decimal(previous - recent) / previous, _VALUE) if recent < previous else Decimal(0)
    factors.append(_factor("engagement_trend", decline, weight, 1,
                           {"signals": list(ENGAGED), f"last_{window}_days": recent, f"previous_{window}_days": previous}))
    return factors + _counted(inputs, CHURN_COUNTS, 1)


def churn_risk(factors: list[dict]) -> Decimal:
    return _total(factors, _RISK)


def churn_band(risk: Decimal) -> str:
    return next((band for bound, band in CHURN_BANDS if risk < bound), "high")


def lifetime_value(member: store.Member, inputs: activity.MemberEngagement, risk: Decimal) -> dict:
    """The lifetime value, its two terms as factors, and the projection's inputs."""
    historical = member.total_spend or Decimal(0)
    count = int(inputs.purchase_count or 0)
    remaining = _q(HORIZON_MONTHS * (1 - risk), _CENTS)
    aov = per_month = months = None
    projected = Decimal(0)
    if count:
        aov = _q(inputs.net_recorded / count, _CENTS)
        months = max(Decimal(clock.now_ms() - int(inputs.first_purchase_at or 0)) / MONTH_MS, Decimal(1))
        per_month = _q(count / months, _VALUE)
        projected = _q(aov * per_month * remaining, _CENTS)
    projection_inputs = {"average_order_value": aov, "purchases_per_month": per_month,
                         "purchases_recorded": count, "first_purchase_at": inputs.first_purchase_at,
                         "months_observed": None if months is None else _q(months, _CENTS),
                         "expected_remaining_months": remaining, "churn_risk": risk}
    return {"lifetime_value": _q(historical + projected, _CENTS), "historical_net_spend": historical,
            "projected_spend": projected,
            "factors": [_factor("historical_net_spend", historical, Decimal(1), 1, {"total_spend": historical}),
                        _factor("projected_spend", projected, Decimal(1), 1, projection_inputs)],
            "assumptions": {"horizon_months": HORIZON_MONTHS, "month_days": 30, "minimum_months_observed": 1,
                            "expected_remaining_months": f"{HORIZON_MONTHS} × (1 − churn_risk)"}}


# --- writing a member and its inputs together -------------------------------------------------
def _change_member(scope: Scope, member_id: str, operation: str, changes: Callable[[store.Member], dict],
                   add: Callable[[Tx, store.Member], None] | None = None, expected_version: int | None = None,
                   reason: str | None = None) -> store.Member:
    """Update the member through the store (versioned, audited) with what `add(tx, member)` stages in
    the same transaction. When the member itself does not change (a late event leaves last_active
    where it is), what `add` stages commits on its own."""
    tenant = tenant_of(scope)
    moved = {"member": False}

    def compute(member: store.Member) -> dict:
        wanted = changes(member)
        moved["member"] = any(getattr(member, k) != v for k, v in wanted.items())
        return wanted

    member = store.update(tenant, member_id, compute, actor=scope.actor, operation=operation,
                          expected_version=expected_version, reason=reason,
                          extra=(lambda tx, m, changed: add(tx, m)) if add else None)
    if add is not None and not moved["member"]:
        _commit(lambda tx: add(tx, member))
    return member


def _commit(stage: Callable[[Tx], object]) -> None:
    """Commit what `stage(tx)` adds, staged afresh after a lost race on the engagement item."""
    for _ in range(_ATTEMPTS):
        tx = Tx()
        stage(tx)
        try:
            tx.commit()
            return
        except VersionConflict:
            continue
    raise Conflict("the member's engagement is being changed by others; try again")


def _instant(at: int | None, field: str = "/body/at") -> int:
    now = clock.now_ms()
    if at is None:
        return now
    if at > now + FUTURE_SKEW_MS:
        raise ValidationFailed(f"at is in the future (more than {FUTURE_SKEW_MS // 60000} minutes ahead)", field=field)
    return at


def _stage_inputs(tx: Tx, tenant: str, member_id: str,
                  change: Callable[[activity.MemberEngagement], None]) -> activity.MemberEngagement:
    """The member's engagement item as read now, changed, staged in `tx` on its version."""
    inputs = activity.engagement(tenant, member_id)
    change(inputs)
    activity.stage_engagement(tx, inputs)
    return inputs


def record_signal(tenant: str, member_id: str, signal: str, at: int, amount: int = 1) -> None:
    """Count `amount` of a declared signal for a member at `at` (epoch ms): the one way other
    domains feed the scores (communications: open, click, reply, opt_out; billing: failed_payment).
    The caller names a member of `tenant` it has read."""
    if signal not in SIGNALS:
        raise ValueError(f"{signal!r} is not a declared signal ({', '.join(SIGNALS)})")
    _commit(lambda tx: _stage_inputs(tx, tenant, member_id, lambda inputs: inputs.add(signal, at, amount)))


# --- operations -------------------------------------------------------------------------------
def track_activity(scope: Scope, member_id: str, body: Any, expected_version: int | None = None) -> dict:
    """trackMemberActivity: the event is appended and counted as the `activity` signal; last_active
    moves to its `at` only forwards (a late event never moves it back)."""
    tenant, now = tenant_of(scope), clock.now_ms()
    at = _instant(body.at)
    event = activity.MemberActivity(id=new_id(), client_id=tenant, member_id=member_id, type=body.type,
                                    metadata=body.metadata, at=at, created_at=now)

    def add(tx: Tx, member: store.Member) -> None:
        activity.stage_event(tx, event)
        _stage_inputs(tx, tenant, member.id, lambda inputs: inputs.add("activity", at))

    member = _change_member(scope, member_id, "trackMemberActivity",
                            lambda m: {"last_active": at} if m.last_active is None or at > m.last_active else {},
                            add, expected_version)
    return {**event.attribute_values, "last_active": member.last_active}


def record_spend(scope: Scope, member_id: str, amount: Decimal, *, kind: str = "purchase", at: int | None = None,
                 reference: str | None = None, expected_version: int | None = None,
                 operation: str = "updateMemberSpend") -> dict:
    """updateMemberSpend, and what billing calls for a completed charge (or a refund): total_spend
    moves by the amount, the purchase counts and first/last purchase with it, in one transaction. With
    a `reference`, a retry changes nothing (answered with recorded=false); the same reference for
    another amount or kind is a 409. A refund may not take total_spend below 0 (409)."""
    tenant = tenant_of(scope)
    at = _instant(at)
    signed = amount if kind == "purchase" else -amount
    staged: dict[str, activity.MemberEngagement] = {}

    def changes(member: store.Member) -> dict:
        total = (member.total_spend or Decimal(0)) + signed
        if total < 0:
            raise Conflict(f"a refund of {amount} is more than the member's net spend of {member.total_spend or 0}",
                           field="/body/amount")
        return {"total_spend": total}

    def spent(inputs: activity.MemberEngagement) -> None:
        if kind == "purchase":
            inputs.add("purchase", at)
            inputs.purchase_count = int(inputs.purchase_count or 0) + 1
            inputs.purchase_total = (inputs.purchase_total or Decimal(0)) + amount
            inputs.first_purchase_at = min(at, int(inputs.first_purchase_at or at))
            inputs.last_purchase_at = max(at, int(inputs.last_purchase_at or at))
        else:
            inputs.refund_count = int(inputs.refund_count or 0) + 1
            inputs.refund_total = (inputs.refund_total or Decimal(0)) + amount

    def add(tx: Tx, member: store.Member) -> None:
        staged["inputs"] = _stage_inputs(tx, tenant, member.id, spent)
        if reference is not None:
            activity.stage_spend(tx, activity.MemberSpend(client_id=tenant, member_id=member.id, reference=reference,
                                                          kind=kind, amount=amount, at=at, created_at=clock.now_ms()))

    try:
        member = _change_member(scope, member_id, operation, changes, add, expected_version)
    except activity.Replayed:
        return _replayed(tenant, member_id, reference or "", kind, amount)
    return _spend_view(member, staged["inputs"], recorded=True)


def _replayed(tenant: str, member_id: str, reference: str, kind: str, amount: Decimal) -> dict:
    record = activity.spend_record(tenant, member_id, reference)
    if record is None or record.kind != kind or record.amount != amount:
        raise Conflict(f"reference {reference!r} is recorded for another amount or kind", field="/body/reference")
    return _spend_view(store.get(tenant, member_id), activity.engagement(tenant, member_id), recorded=False)


def _spend_view(member: store.Member, inputs: activity.MemberEngagement, recorded: bool) -> dict:
    count = int(inputs.purchase_count or 0)
    return {"id": member.id, "total_spend": member.total_spend or Decimal(0), "purchase_count": count,
            "refund_count": int(inputs.refund_count or 0), "purchase_total": inputs.purchase_total or Decimal(0),
            "refund_total": inputs.refund_total or Decimal(0),
            "average_order_value": _q(inputs.net_recorded / count, _CENTS) if count else None,
            "first_purchase_at": inputs.first_purchase_at, "last_purchase_at": inputs.last_purchase_at,
            "recorded": recorded, "version": member.version}


def update_engagement(scope: Scope, member_id: str, expected_version: int | None = None) -> dict:
    """updateMemberEngagement: the score computed from the member's inputs, stored on the member."""
    tenant = tenant_of(scope)
    inputs = activity.engagement(tenant, member_id)
    found: dict[str, Any] = {}

    def changes(member: store.Member) -> dict:
        found["factors"] = engagement_factors(member, inputs)
        found["score"] = engagement_score(found["factors"])
        return {"engagement_score": float(found["score"])}

    member = _change_member(scope, member_id, "updateMemberEngagement", changes, expected_version=expected_version)
    return {"id": member.id, "engagement_score": found["score"], "factors": found["factors"],
            "computed_at": clock.now_ms(), "version": member.version}


def churn(scope: Scope, member_id: str) -> dict:
    """calculateChurnRisk: two reads (the member, its inputs), nothing written."""
    tenant = tenant_of(scope)
    member = store.get(tenant, member_id)
    factors = churn_factors(member, activity.engagement(tenant, member_id))
    risk = churn_risk(factors)
    return {"id": member.id, "churn_risk": risk, "band": churn_band(risk), "factors": factors,
            "computed_at": clock.now_ms()}


def member_lifetime_value(scope: Scope, member_id: str) -> dict:
    """getMemberLifetimeValue: computed from the member and its inputs, stored as lifetime_value
    (audited when it changed)."""
    tenant = tenant_of(scope)
    inputs = activity.engagement(tenant, member_id)
    found: dict[str, Any] = {}

    def changes(member: store.Member) -> dict:
        found.update(lifetime_value(member, inputs, churn_risk(churn_factors(member, inputs))))
        return {"lifetime_value": found["lifetime_value"]}

    member = _change_member(scope, member_id, "getMemberLifetimeValue", changes)
    return {"id": member.id, **found, "computed_at": clock.now_ms(), "version": member.version}


def recommendations(scope: Scope, member_id: str) -> dict:
    """getMemberRecommendations: the next tier and the benefits the tier allows, ranked, each with
    its reason (module docstring)."""
    tenant = tenant_of(scope)
    member = store.get(tenant, member_id)
    score = engagement_score(engagement_factors(member, activity.engagement(tenant, member_id)))
    spend = member.total_spend or Decimal(0)
    tier = next_tier(member.tier, spend, score)
    found = [*([tier] if tier and tier["eligible"] else []), *_benefits(tenant, member),
             *([tier] if tier and not tier["eligible"] else [])]
    return {"id": member.id, "tier": member.tier, "engagement_score": score, "total_spend": spend,
            "recommendations": [{**r, "rank": n} for n, r in enumerate(found, 1)], "computed_at": clock.now_ms()}


def next_tier(tier: str, spend: Decimal, score: Decimal) -> dict | None:
    """The tier above `tier` and whether the member meets its requirements (None at the top)."""
    if TIERS.index(tier) == len(TIERS) - 1:
        return None
    wanted = TIERS[TIERS.index(tier) + 1]
    need_spend, need_score = TIER_REQUIREMENTS[wanted]
    if spend >= need_spend and score >= need_score:
        reason = f"total spend {_cents(spend)} ≥ {_cents(need_spend)} and engagement {score} ≥ {need_score}: " \
                 f"{wanted} is earned"
        return {"kind": "tier", "tier": wanted, "eligible": True, "reason": reason}
    missing = [f"{_cents(need_spend - spend)} more spend (has {_cents(spend)} of {_cents(need_spend)})"] \
        if spend < need_spend else []
    missing += [f"{need_score - score} more engagement (has {score} of {need_score})"] if score < need_score else []
    return {"kind": "tier", "tier": wanted, "eligible": False, "reason": f"{wanted} needs " + " and ".join(missing)}


def _cents(amount: Decimal) -> Decimal:
    return _q(amount, _CENTS)


def _benefits(tenant: str, member: store.Member) -> list[dict]:
    """The benefits the member's tier allows and it holds no usable grant of, in the benefits
    domain's order, each with that domain's reason: `benefits.service.eligible_for(tenant, tier,
    member_id)` answers [{"benefit": {...}, "reason": ...}]."""
    from shared.benefits import service as benefits

    return [{"kind": "benefit", "benefit_id": b["benefit"]["id"], "name": b["benefit"].get("name"), "eligible": True,
             "reason": b["reason"]} for b in benefits.eligible_for(tenant, member.tier, member.id)]


def change_tier(scope: Scope, member_id: str, body: Any, expected_version: int | None = None) -> dict:
    """upgradeMemberTier: upwards for managers and admins, downwards for admins only (403 naming
    /body/tier otherwise); the reason is kept in the audit entry. The tier the member has already
    is a 409: nothing to do, and the caller asked for a change."""
    def check(member: store.Member) -> None:
        if body.tier == member.tier:
            raise Conflict(f"the member is {member.tier} already", field="/body/tier")
        if TIERS.index(body.tier) < TIERS.index(member.tier) and not scope.holds("members:downgrade"):
            raise Forbidden(f"moving a member down ({member.tier} to {body.tier}) is an admin's call",
                            field="/body/tier")

    def changes(member: store.Member) -> dict:
        check(member)
        return {"tier": body.tier}

    return _change_member(scope, member_id, "upgradeMemberTier", changes, expected_version=expected_version,
                          reason=body.reason).public()


def referrals(scope: Scope, member_id: str, q: Any) -> dict:
    """getMemberReferrals: the members this one referred, newest first (one GSI3 query), with their
    spend; totals over all of them from one counter item (O(1) whatever their number)."""
    from shared.core.money import from_micros
    from shared.core.paging import page
    from shared.db.projections import read_counter
    from shared.members.projections import referrals_key

    tenant = tenant_of(scope)
    store.get(tenant, member_id)
    items, last = store.referred_by(tenant, member_id, limit=q.limit, cursor=q.cursor)
    counter = read_counter(referrals_key(tenant, member_id))
    return {**page(items, last, lambda m: m.public()),
            "totals": {"referrals": counter.get("referrals", 0), "total_spend": from_micros(counter.get("spend_micros", 0))}}

