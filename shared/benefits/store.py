"""The benefits store: the only code that knows how benefits and member benefits are keyed.

A benefit is a tier perk of one tenant (`T#<client>#BENEFIT#<id>`); a member benefit is one grant of a
benefit to one member (`T#<client>#MEMBER_BENEFIT#<id>`). Each grant holds the claim of its (member,
benefit) pair, `T#c#BENEFIT_GRANT#<member>#<benefit>`: the claim always names the member's latest grant
of that benefit, so "is it granted and still usable?" and "which grant does a use take?" are one read.
A new grant takes the claim over from a used or expired one in the same transaction, on the condition
that it still names that one; while the grant it names is active nobody else gets it (no double grant).

A benefit keeps `redemptions`, the number of its grants used, in its own item: the use moves the grant
active → used and adds 1 here in one transaction, on the condition that `redemptions < max_redemptions`,
so no more than `max_redemptions` uses ever succeed, whatever runs at once. One item takes a benefit's
uses: about 1,000 a second at most, far above what a perk is used at.

| access pattern                                   | index | key condition                                              |
|--------------------------------------------------|-------|------------------------------------------------------------|
| benefit by id                                    | table | PK = `T#c#BENEFIT#<id>`, SK = `BENEFIT`                    |
| benefits of a tenant, newest first (getBenefits) | GSI1  | GSI1PK = `T#c#BENEFITS` (`#DELETED` once deleted), GSI1SK = `<created_at>#<id>` |
| active benefits by tier requirement (getBenefitsByTier, eligible benefits) | GSI2 | GSI2PK = `T#c#BENEFITS#ACTIVE#TIER#<tier or any>`, GSI2SK as GSI1SK |
| member benefit by id                             | table | PK = `T#c#MEMBER_BENEFIT#<id>`, SK = `MEMBER_BENEFIT`      |
| a member's latest grant of a benefit             | table | claim PK = `T#c#BENEFIT_GRANT#<member>#<benefit>`, then the grant |
| a member's grants, newest first (getMemberBenefits) | GSI1 | GSI1PK = `T#c#MEMBER#<member>#BENEFITS`, GSI1SK = `<granted_at>#<id>` |
| grants of a benefit, newest first (`echelonx recount`) | GSI2 | GSI2PK = `T#c#BENEFIT#<benefit>#GRANTS`, GSI2SK as GSI1SK |
| grants due to expire (the expiry sweep, all tenants) | GSI3 (sparse: active grants with an expiry) | GSI3PK = `P#DUE#BENEFIT_GRANT#<shard>` (shared/db/due.py), GSI3SK = `<expires_at>#<id>` <= `<now>` |

GSI2 holds live active benefits only; GSI3 active grants with `expires_at` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared import audit, clock
from shared.db import claims, due, query
from shared.db.attributes import DecimalAttribute
from shared.db.claims import Claim
from shared.db.table import tenant_key
from shared.db.tx import Tx
from shared.entity import Entity, EntityStore
from shared.errors import Conflict, NotFound

if TYPE_CHECKING:
    from collections.abc import Callable

ANY_TIER = "any"  # the GSI2 partition of benefits without a tier requirement


def benefit_key(client_id: str, benefit_id: str) -> str:
    return tenant_key(client_id, "BENEFIT", benefit_id)


def benefits_partition(client_id: str, *parts: str) -> str:
    """A list partition of the tenant's benefits: `T#c#BENEFITS[#...]`."""
    return tenant_key(client_id, "BENEFITS", *parts)


def tier_partition(client_id: str, tier: str | None) -> str:
    """The active benefits requiring `tier` (None: those open to every tier)."""
    return benefits_partition(client_id, "ACTIVE", "TIER", tier or ANY_TIER)


def grant_key(client_id: str, grant_id: str) -> str:
    return tenant_key(client_id, "MEMBER_BENEFIT", grant_id)


def member_grants_partition(client_id: str, member_id: str) -> str:
    return tenant_key(client_id, "MEMBER", member_id, "BENEFITS")


def benefit_grants_partition(client_id: str, benefit_id: str) -> str:
    return tenant_key(client_id, "BENEFIT", benefit_id, "GRANTS")


def grant_claim_key(client_id: str, member_id: str, benefit_id: str) -> str:
    return tenant_key(client_id, "BENEFIT_GRANT", member_id, benefit_id)


EXPIRING = "BENEFIT_GRANT"  # the kind of due item an expiring grant is (shared/db/due.py)


def _ms(value: float) -> str:
    return f"{int(value):015d}"


class Benefit(Entity, discriminator="BENEFIT"):
    what, resource = "benefit", "benefits"
    hidden = frozenset({"redemptions"})  # shown by getBenefitUsage, never as a field a client writes

    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    type = UnicodeAttribute()
    value = DecimalAttribute(null=True)
    tier_requirement = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    max_redemptions = NumberAttribute(null=True)
    redemptions = NumberAttribute(default=0)

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        return benefit_key(tenant or "", item_id), "BENEFIT"

    def keys(self):
        created = f"{_ms(self.created_at)}#{self.id}"
        listed = not self.deleted_at and self.status == "active"
        return {"PK": benefit_key(self.client_id, self.id), "SK": "BENEFIT",
                "GSI1PK": self.listing(benefits_partition(self.client_id)), "GSI1SK": created,
                "GSI2PK": tier_partition(self.client_id, self.tier_requirement) if listed else None,
                "GSI2SK": created if listed else None}

    @property
    def redemptions_left(self) -> int | None:
        """None: no limit."""
        if self.max_redemptions is None:
            return None
        return max(0, int(self.max_redemptions) - int(self.redemptions or 0))


class MemberBenefit(Entity, discriminator="MEMBER_BENEFIT"):
    """One grant. `expires_at` (epoch ms) is stored as `valid_until`: the table's `expires_at` is its
    TTL attribute (epoch seconds), and a grant must outlive its expiry (the usage report counts it)."""

    what, resource = "member_benefit", "benefits"

    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    benefit_id = UnicodeAttribute()
    status = UnicodeAttribute()  # as stored: an active grant past its expiry reads as expired
    granted_at = NumberAttribute()
    valid_until = NumberAttribute(null=True)
    used_at = NumberAttribute(null=True)

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        return grant_key(tenant or "", item_id), "MEMBER_BENEFIT"

    def keys(self):
        expiring = self.status == "active" and self.valid_until is not None
        granted = f"{_ms(self.granted_at)}#{self.id}"
        return {"PK": grant_key(self.client_id, self.id), "SK": "MEMBER_BENEFIT",
                "GSI1PK": member_grants_partition(self.client_id, self.member_id), "GSI1SK": granted,
                "GSI2PK": benefit_grants_partition(self.client_id, self.benefit_id), "GSI2SK": granted,
                "GSI3PK": due.partition(EXPIRING, self.PK) if expiring else None,
                "GSI3SK": due.sort_key(self.valid_until, self.id) if expiring else None}

    def status_at(self, now_ms: int) -> str:
        """The status as a reader sees it: an active grant whose expiry has passed is expired."""
        if self.status == "active" and self.valid_until is not None and self.valid_until <= now_ms:
            return "expired"
        return self.status

    def public(self) -> dict:
        out = super().public()
        out["expires_at"] = out.pop("valid_until", None)
        out["status"] = self.status_at(clock.now_ms())
        return out


benefits = EntityStore(Benefit)
grants = EntityStore(MemberBenefit)
create, update, soft_delete, batch_get = benefits.create, benefits.update, benefits.soft_delete, benefits.batch_get


def get(client_id: str, benefit_id: str, include_deleted: bool = False) -> Benefit:
    return benefits.get(client_id, benefit_id, include_deleted=include_deleted)


def list_benefits(client_id: str, *, keep: Callable[[Benefit], bool] | None, include_deleted: bool, limit: int,
                  cursor: str | None) -> tuple[list[Benefit], dict | None]:
    """Newest first, filtered in code within the read budget."""
    return benefits.page(benefits_partition(client_id), index="GSI1", limit=limit, cursor=cursor, keep=keep,
                         include_deleted=include_deleted)


def active_for_tiers(client_id: str, tiers: tuple[str | None, ...], *, limit: int,
                     cursor: str | None) -> tuple[list[Benefit], dict | None]:
    """Live active benefits whose requirement is one of `tiers` (None: no requirement), newest first: one
    query per tier partition, merged."""
    sources = [query.Source(tier_partition(client_id, t), "GSI2") for t in tiers]
    return query.merged_page(Benefit, sources, limit=limit, cursor=cursor, newest_first=True)


def get_grant(client_id: str, grant_id: str) -> MemberBenefit:
    return grants.get(client_id, grant_id)


def latest_grant(client_id: str, member_id: str, benefit_id: str) -> MemberBenefit | None:
    """The member's latest grant of the benefit (the one its claim names), or None: two reads."""
    claim = claims.lookup(grant_claim_key(client_id, member_id, benefit_id))
    if claim is None:
        return None
    try:
        return get_grant(client_id, claim.owner_pk.rsplit("#", 1)[-1])
    except NotFound:
        return None


def latest_grants(client_id: str, member_id: str, benefit_ids: list[str]) -> dict[str, MemberBenefit]:
    """The member's latest grant of each of these benefits (benefit id → grant): two BatchGetItems."""
    keys = [(grant_claim_key(client_id, member_id, b), "CLAIM") for b in dict.fromkeys(benefit_ids)]
    held = list(Claim.batch_get(keys)) if keys else []
    found = grants.batch_get(client_id, [c.owner_pk.rsplit("#", 1)[-1] for c in held])
    return {g.benefit_id: g for g in found}


def member_grants(client_id: str, member_id: str, *, keep: Callable[[MemberBenefit], bool] | None, limit: int,
                  cursor: str | None) -> tuple[list[MemberBenefit], dict | None]:
    """A member's grants, newest first (filtered in code within the read budget: a member holds few)."""
    return query.page(MemberBenefit, member_grants_partition(client_id, member_id), index="GSI1", limit=limit,
                      cursor=cursor, newest_first=True, keep=keep)


def due_grants(now_ms: int, limit: int) -> list[MemberBenefit]:
    """Active grants of every tenant whose expiry has passed: a few range queries on GSI3, however many
    tenants there are (shared/db/due.py)."""
    return due.due_items(MemberBenefit, EXPIRING, index="GSI3", now_ms=now_ms, limit=limit)


def grant(item: MemberBenefit, actor, replaces: MemberBenefit | None) -> MemberBenefit:
    """Write a new grant with its (member, benefit) claim and audit entry, all or nothing. `replaces` is
    the used or expired grant the claim names now (None: the member never had the benefit); the claim
    moves only if it still names that one, so of two grants at once one gets 409."""
    now = clock.now_ms()
    item.created_at = item.updated_at = now
    item.version = 1
    tx = Tx()
    tx.put(item, condition=MemberBenefit.PK.does_not_exist())
    key, field = grant_claim_key(item.client_id, item.member_id, item.benefit_id), "/body/benefit_id"
    if replaces is None:
        claims.claim(tx, key, item, field=field, client_id=item.client_id)
    else:
        tx.put(Claim(PK=key, owner_pk=item.PK, owner_sk=item.SK, client_id=item.client_id),
               condition=Claim.owner_pk == replaces.derive_keys().PK,
               on_fail=Conflict("the member was granted this benefit meanwhile", field=field))
    audit.record(tx, actor, MemberBenefit.what, item.id, "grantBenefitToMember", None, audit.snapshot(item),
                 client_id=item.client_id)
    tx.commit()
    return item


def use(client_id: str, grant_id: str, *, actor, check: Callable[[MemberBenefit], None]) -> MemberBenefit:
    """Move the grant active → used and add 1 to its benefit's redemptions, in one transaction: the benefit
    must still be live, active and under its max_redemptions (else 409), and the grant unchanged since it
    was read (a second use of it re-reads, and `check` refuses it)."""
    def redeem(tx: Tx, item: MemberBenefit, changed: dict) -> None:
        benefit = Benefit(PK=benefit_key(client_id, item.benefit_id), SK="BENEFIT")
        room = Benefit.max_redemptions.does_not_exist() | (Benefit.redemptions < Benefit.max_redemptions)
        tx.update(benefit, [Benefit.redemptions.add(1)],
                  condition=Benefit.PK.exists() & Benefit.deleted_at.does_not_exist() & (Benefit.status == "active")
                  & room,
                  on_fail=Conflict("the benefit has no redemptions left, or was deactivated", field="/path/benefit_id"))

    now = clock.now_ms()
    return grants.update(client_id, grant_id, {"status": "used", "used_at": now}, actor=actor,
                         operation="useMemberBenefit", check=check, extra=redeem)


def expire(client_id: str, grant_id: str, *, actor, operation: str) -> MemberBenefit:
    """Record that an active grant has passed its expiry: stored status → expired (it leaves GSI3)."""
    def due(item: MemberBenefit) -> None:
        if item.status_at(clock.now_ms()) != "expired" or item.status != "active":
            raise Conflict(f"the grant is {item.status_at(clock.now_ms())}, not due to expire")

    return grants.update(client_id, grant_id, {"status": "expired"}, actor=actor, operation=operation, check=due)
