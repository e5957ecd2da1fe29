"""Benefit and member-benefit operations (entities.md §8–9), with the rights of the rights table.

Every route declares `tenant="required"` (a super_admin names the tenant); another tenant's benefit
or member is simply not found there (404). Members are read through `shared.members.service`.

Rules:
- A grant needs a live, active benefit (409 otherwise), the member's tier at or above the benefit's
  `tier_requirement` (basic < premium < elite < executive; 409 naming both), redemptions left (409),
  and no usable grant of it already (409: one active grant of a benefit per member, kept by a claim).
  A used or expired grant may be followed by a new one.
- A grant is used once (409 after), never once expired (409), and never beyond the benefit's
  `max_redemptions`: the use and the benefit's count are one transaction (store.use).
- Expiry is on the clock and derived on read: a grant whose `expires_at` has passed reads and lists
  as expired at once, and cannot be used. The expiry sweep (`expireMemberBenefits`, every minute)
  then records it as expired, which is when the usage report counts it.
- getBenefitsByTier answers the benefits *available to* a tier: the active ones requiring that tier
  or a lower one, or none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared import clock
from shared.benefits import store
from shared.benefits.models import TIERS
from shared.core.paging import page
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.ids import new_id

if TYPE_CHECKING:
    from shared.core.actor import Scope

_NOT_NULL = ("name", "type")
SWEEP_PAGE = 100  # grants expired per tenant per sweep call; the next minute takes the rest


def _view(benefit: store.Benefit) -> dict:
    return benefit.public()


def get_benefit(scope: Scope, benefit_id: str, include_deleted: bool = False) -> dict:
    """getBenefitById."""
    tenant = scope.tenant_required()
    return store.get(tenant, benefit_id, include_deleted=store.benefits.deleted_allowed(scope, include_deleted)).public()


def list_benefits(scope: Scope, q) -> dict:
    """getBenefits: newest first, by status, type and tier requirement."""
    tenant = scope.tenant_required()
    include_deleted = store.benefits.deleted_allowed(scope, q.include_deleted)
    wanted = {name: getattr(q, name) for name in ("status", "type", "tier_requirement") if getattr(q, name)}

    def keep(b: store.Benefit) -> bool:
        return all(getattr(b, name) == value for name, value in wanted.items())

    items, last = store.list_benefits(tenant, keep=keep if wanted else None, include_deleted=include_deleted,
                                      limit=q.limit, cursor=q.cursor)
    return page(items, last, _view)


def tiers_up_to(tier: str) -> tuple[str | None, ...]:
    """The tier requirements a member of `tier` meets: none, and every tier up to its own."""
    return (None, *TIERS[:TIERS.index(tier) + 1])


def benefits_by_tier(scope: Scope, tier: str, q) -> dict:
    """getBenefitsByTier: the active benefits a member of `tier` may be granted, newest first."""
    items, last = store.active_for_tiers(scope.tenant_required(), tiers_up_to(tier), limit=q.limit, cursor=q.cursor)
    return page(items, last, _view)


def search_benefits(scope: Scope, q) -> dict:
    """searchBenefits: every word of `q` a prefix of a word of the name or description, case- and
    accent-insensitive (shared.search.page: one query of tokens, one BatchGetItem of benefits)."""
    from shared import search
    from shared.benefits.projections import search_words, token_partition

    tenant = scope.tenant_required()
    hits, last = search.page(lambda initial: token_partition(tenant, initial), q.q, limit=q.limit, cursor=q.cursor,
                             load=lambda ids: [b for b in store.batch_get(tenant, ids) if not b.deleted_at],
                             words_of=lambda b: search_words(b.attribute_values))
    return page(hits, last, _view)


def create_benefit(scope: Scope, body) -> dict:
    """createBenefit: active from the start."""
    tenant = scope.tenant_required()
    benefit = store.Benefit(id=new_id(), client_id=tenant, status="active", redemptions=0,
                            **body.model_dump(exclude_none=True))
    return store.create(benefit, scope.actor, "createBenefit").public()


def update_benefit(scope: Scope, benefit_id: str, body, expected_version: int | None = None,
                   operation: str = "updateBenefit") -> dict:
    """updateBenefit: max_redemptions never below the uses already made (409)."""
    changes = body.model_dump(exclude_unset=True)
    for name in _NOT_NULL:
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be removed", field=f"/body/{name}")

    def check(benefit: store.Benefit) -> None:
        limit = changes.get("max_redemptions")
        if limit is not None and limit < int(benefit.redemptions or 0):
            raise Conflict(f"max_redemptions {limit} is below the {benefit.redemptions} uses already made",
                           field="/body/max_redemptions")

    return store.update(scope.tenant_required(), benefit_id, changes, actor=scope.actor, operation=operation,
                        expected_version=expected_version, check=check).public()


def bulk_update(scope: Scope, body, expected_version: int | None = None) -> dict:
    """bulkUpdateBenefits: each item on its own, with its own result; an item's `version` (or else the
    request's If-Match) must still be current."""
    from shared.core import bulk

    return bulk.each(body.updates, lambda e: update_benefit(scope, e.id, e.changes,
                                                            bulk.version_of(e, expected_version),
                                                            operation="bulkUpdateBenefits"))


def set_status(scope: Scope, benefit_id: str, status: str, expected_version: int | None = None) -> dict:
    """activateBenefit / deactivateBenefit: 409 when it already is. An inactive benefit is neither
    granted nor used; its grants stay and count again once it is active."""
    def check(benefit: store.Benefit) -> None:
        if benefit.status == status:
            raise Conflict(f"the benefit is already {status}")

    operation = "activateBenefit" if status == "active" else "deactivateBenefit"
    return store.update(scope.tenant_required(), benefit_id, {"status": status}, actor=scope.actor, operation=operation,
                        expected_version=expected_version, check=check).public()


def delete_benefit(scope: Scope, benefit_id: str, expected_version: int | None = None) -> None:
    """deleteBenefit: soft delete; its grants can no longer be made or used."""
    store.soft_delete(scope.tenant_required(), benefit_id, actor=scope.actor, operation="deleteBenefit",
                      expected_version=expected_version)


def usage(scope: Scope, benefit_id: str) -> dict:
    """getBenefitUsage: grants, active, uses and expired from the benefit's counter (one read), the
    remaining redemptions from the benefit itself (one read)."""
    from shared.benefits.projections import usage_key
    from shared.db import projections

    tenant = scope.tenant_required()
    benefit = store.get(tenant, benefit_id)
    counts = projections.read_counter(usage_key(tenant, benefit_id))
    return {"benefit_id": benefit.id, "grants": counts.get("grants", 0), "active": counts.get("active", 0),
            "uses": counts.get("used", 0), "expired": counts.get("expired", 0),
            "max_redemptions": benefit.max_redemptions, "remaining_redemptions": benefit.redemptions_left}


# --- member benefits -------------------------------------------------------------------------------

def _member(scope: Scope, member_id: str) -> dict:
    from shared.members import service as members

    return members.get_member(scope, member_id)


def member_benefits(scope: Scope, member_id: str, q) -> dict:
    """getMemberBenefits: the member's grants, newest first, by status as a reader sees it."""
    tenant = scope.tenant_required()
    _member(scope, member_id)
    now = clock.now_ms()
    keep = (lambda g: g.status_at(now) == q.status) if q.status else None
    items, last = store.member_grants(tenant, member_id, keep=keep, limit=q.limit, cursor=q.cursor)
    return page(items, last, lambda g: g.public())


def refusal(benefit: store.Benefit, tier: str) -> str | None:
    """Why a member of `tier` may not be granted the benefit now (None: it may)."""
    if benefit.deleted_at or benefit.status != "active":
        return "the benefit is inactive"
    needed = benefit.tier_requirement
    if needed and TIERS.index(tier) < TIERS.index(needed):
        return f"the benefit needs tier {needed} or above; the member is {tier}"
    if benefit.redemptions_left == 0:
        return "the benefit has no redemptions left"
    return None


def grant_benefit(scope: Scope, member_id: str, body) -> dict:
    """grantBenefitToMember: the rules of the module docstring (409 naming /body/benefit_id)."""
    tenant = scope.tenant_required()
    member = _member(scope, member_id)
    try:
        benefit = store.get(tenant, body.benefit_id)
    except NotFound:
        raise NotFound("benefit not found", field="/body/benefit_id") from None
    why = refusal(benefit, member["tier"])
    if why:
        raise Conflict(why, field="/body/benefit_id")
    now = clock.now_ms()
    if body.expires_at is not None and body.expires_at <= now:
        raise ValidationFailed("expires_at has already passed", field="/body/expires_at")
    latest = store.latest_grant(tenant, member_id, benefit.id)
    if latest is not None and latest.status_at(now) == "active":
        raise Conflict("the member already holds this benefit, unused", field="/body/benefit_id")
    if latest is not None and latest.status == "active":  # expired unrecorded: record it first
        latest = _expire(scope.actor, latest, "grantBenefitToMember")
    item = store.MemberBenefit(id=new_id(), client_id=tenant, member_id=member_id, benefit_id=benefit.id,
                               status="active", granted_at=now, valid_until=body.expires_at)
    return store.grant(item, scope.actor, latest).public()


def use_benefit(scope: Scope, member_id: str, benefit_id: str) -> dict:
    """useMemberBenefit: the member's grant of the benefit, once, before it expires, within the
    benefit's max_redemptions (409 for each; 404 when the member never had it)."""
    tenant = scope.tenant_required()
    _member(scope, member_id)
    latest = store.latest_grant(tenant, member_id, benefit_id)
    if latest is None:
        raise NotFound("the member has no grant of this benefit", field="/path/benefit_id")

    def check(grant: store.MemberBenefit) -> None:
        status = grant.status_at(clock.now_ms())
        if status != "active":
            raise Conflict(f"the member's grant of this benefit is {status}", field="/path/benefit_id")

    return store.use(tenant, latest.id, actor=scope.actor, check=check).public()


def _expire(actor: Any, grant: store.MemberBenefit, operation: str) -> store.MemberBenefit:
    try:
        return store.expire(grant.client_id, grant.id, actor=actor, operation=operation)
    except Conflict:  # used or recorded meanwhile: take it as it is now
        return store.get_grant(grant.client_id, grant.id)


def sweep_expired(limit: int = SWEEP_PAGE) -> int:
    """expireMemberBenefits: record as expired the grants of every tenant whose expiry has passed (a few
    range queries whatever the number of tenants, then one write per grant); returns how many."""
    due = store.due_grants(clock.now_ms(), limit)
    for grant in due:
        _expire(None, grant, "expireMemberBenefits")
    return len(due)


def eligible_for(tenant: str, tier: str, member_id: str, limit: int = 50) -> list[dict]:
    """The active benefits a member of `tier` could be granted now (its tier allows, no usable grant of
    it yet, redemptions left), newest first, each with its reason: one page of getBenefitsByTier's
    index, then the member's grants of those benefits (two BatchGetItems). For recommendations."""
    offered, _ = store.active_for_tiers(tenant, tiers_up_to(tier), limit=limit, cursor=None)
    held = store.latest_grants(tenant, member_id, [b.id for b in offered])
    now, out = clock.now_ms(), []
    for benefit in offered:
        grant = held.get(benefit.id)
        if refusal(benefit, tier) or (grant is not None and grant.status_at(now) == "active"):
            continue
        needed = benefit.tier_requirement
        reason = f"open to tier {needed} and above; the member is {tier}" if needed else "open to every tier"
        left = benefit.redemptions_left
        if left is not None:
            reason += f"; {left} of {benefit.max_redemptions} redemptions left"
        if grant is not None:
            reason += f"; its last grant was {grant.status_at(now)}"
        out.append({"benefit": benefit.public(), "reason": reason})
    return out
