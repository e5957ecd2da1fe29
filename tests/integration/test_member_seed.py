"""The demo members `echelonx seed` gives a tenant: varied, the same people every time, made once."""

from __future__ import annotations

from shared.ids import new_id


def _tenant() -> str:
    from shared.clients import store as clients

    return clients.create(clients.Client(id=new_id(), name=f"Seeded {new_id()}", status="active",
                                         subscription_tier="basic", created_by="test")).id


def _members(client_id: str) -> list:
    from shared.members import store

    return sorted(store.members.model.gsi1.query(store.members_partition(client_id)), key=lambda m: m.member_id)


def test_demo_members_are_varied_deterministic_and_seeded_once(local):
    from shared.local.seed import _members as seed_members

    first, second = _tenant(), _tenant()
    seed_members(first, 40)
    seed_members(first, 40)  # again: nothing more
    seed_members(second, 40)
    a, b = _members(first), _members(second)
    assert len(a) == 40 and [m.member_id for m in a] == [f"DEMO-{n:04d}" for n in range(1, 41)]
    same = lambda m: (m.first_name, m.tier, m.status, m.total_spend, m.acquisition_channel, m.timezone, m.tags)  # noqa: E731
    assert [same(m) for m in a] == [same(m) for m in b]  # a seeded random: the same people in every tenant
    assert len({m.tier for m in a}) >= 3 and len({m.acquisition_channel for m in a}) >= 4
    assert len({m.timezone for m in a}) >= 5 and len({m.email for m in a}) == 40
    ids = {m.id for m in a}
    referred = [m for m in a if m.referred_by]
    assert referred and all(m.referred_by in ids for m in referred)
    assert all(0 <= m.engagement_score <= 100 and m.last_active >= m.created_at for m in a)
