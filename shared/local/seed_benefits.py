"""The demo tenant's benefits (`echelonx seed`): a perk for each kind and tier, some limited, and
grants of them to the tenant's first members, as the grant rules allow (tier, redemptions)."""

from __future__ import annotations

from decimal import Decimal

from shared import clock
from shared.benefits import service, store
from shared.db import query
from shared.ids import new_id
from shared.members.store import Member, members_partition

DAY_MS = 24 * 60 * 60 * 1000
DEMO_BENEFITS = [
    ("Free guest pass", "access", None, None, "Bring a friend to any class, once", None),
    ("10% off personal training", "discount", Decimal(10), "premium", "Ten percent off a block of sessions", None),
    ("Smoothie bar reward", "reward", Decimal(500), "basic", "500 points towards a smoothie", 200),
    ("Spa lounge access", "access", None, "elite", "A quiet afternoon in the spa lounge", 50),
    ("Executive nutrition consult", "service", Decimal(150), "executive", "A one-hour consult with our dietitian", 10),
]
GRANTED_MEMBERS = 20


def seed_benefits(client_id: str) -> None:
    """Create the demo benefits once, then grant each to those of the tenant's newest members whose tier
    allows it (every third grant expiring in a week, every fourth already used)."""
    existing, _ = store.list_benefits(client_id, keep=None, include_deleted=False, limit=1, cursor=None)
    if existing:
        return
    made = [store.create(store.Benefit(id=new_id(), client_id=client_id, name=name, type=kind, value=value,
                                       tier_requirement=tier, description=description, max_redemptions=limit,
                                       status="active", redemptions=0))
            for name, kind, value, tier, description, limit in DEMO_BENEFITS]
    members, _ = query.page(Member, members_partition(client_id), index="GSI1", limit=GRANTED_MEMBERS,
                            newest_first=True)
    now, n = clock.now_ms(), 0
    for member in members:
        for benefit in made:
            if service.refusal(store.get(client_id, benefit.id), member.tier):
                continue
            n += 1
            grant = store.grant(store.MemberBenefit(
                id=new_id(), client_id=client_id, member_id=member.id, benefit_id=benefit.id, status="active",
                granted_at=now, valid_until=now + 7 * DAY_MS if n % 3 == 0 else None), None, None)
            if n % 4 == 0:
                store.use(client_id, grant.id, actor=None, check=lambda g: None)

