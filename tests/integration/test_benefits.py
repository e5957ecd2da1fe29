"""Benefits and member benefits through the gateway with real JWTs: the 14 operations, each refusal,
expiry on the clock, and max_redemptions under 20 uses at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared import clock
from shared.ids import new_id
from tests import tenants

PASSWORD = "correct-horse-battery"
MINUTE_MS = 60 * 1000


def _login(api, email, password=PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture(scope="module")
def tenant(api, local):
    """A fresh tenant with an admin, a manager and a user; a second tenant's admin."""
    sa = tenants.super_admin(api, local)
    return {"sa": sa, **tenants.two_tenants(api, sa, "Benefits Co", "benefits.example")}


def _problem(r, status, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.text
    if field:
        assert r.json()["field"] == field, r.json()
    return r.json()


def _benefit(api, tenant, **fields):
    body = {"name": f"Perk {new_id()}", "type": "discount", **fields}
    r = api.post("/benefits", token=tenant["manager"], json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _member(api, tenant, tier="basic"):
    r = api.post("/members", token=tenant["manager"], json={"member_id": f"B-{new_id()}", "tier": tier})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _grant(api, tenant, member_id, benefit_id, **extra):
    return api.post(f"/members/{member_id}/benefits", token=tenant["manager"], json={"benefit_id": benefit_id, **extra})


def _use(api, tenant, member_id, benefit_id, token=None):
    return api.post(f"/members/{member_id}/benefits/{benefit_id}/use", token=token or tenant["manager"])


def _usage(api, local, tenant, benefit_id):
    local.poller.settle("streams")
    r = api.get(f"/benefits/{benefit_id}/usage", token=tenant["user"])
    assert r.status_code == 200, r.text
    return r.json()


def test_create_read_update_and_delete_a_benefit(api, tenant):
    made = _benefit(api, tenant, description="Ten percent off classes", value=10, tier_requirement="premium",
                    max_redemptions=3)
    assert made["status"] == "active" and made["version"] == 1 and "redemptions" not in made
    got = api.get(f"/benefits/{made['id']}", token=tenant["user"])
    assert got.status_code == 200 and got.headers["etag"] == '"1"' and got.json()["value"] == 10
    _problem(api.get(f"/benefits/{made['id']}", token=tenant["other_admin"]), 404)

    r = api.patch(f"/benefits/{made['id']}", token=tenant["manager"], json={"value": 15}, headers={"if-match": '"1"'})
    assert r.status_code == 200 and r.json()["value"] == 15 and r.json()["version"] == 2
    _problem(api.patch(f"/benefits/{made['id']}", token=tenant["manager"], json={"value": 20},
                       headers={"if-match": '"1"'}), 412, "/headers/if-match")
    _problem(api.patch(f"/benefits/{made['id']}", token=tenant["manager"], json={"name": None}), 400, "/body/name")
    _problem(api.patch(f"/benefits/{made['id']}", token=tenant["user"], json={"value": 1}), 403)

    assert api.delete(f"/benefits/{made['id']}", token=tenant["manager"]).status_code == 204
    _problem(api.get(f"/benefits/{made['id']}", token=tenant["user"]), 404)
    shown = api.get(f"/benefits/{made['id']}", token=tenant["admin"], params={"include_deleted": "true"})
    assert shown.status_code == 200 and shown.json()["deleted_at"]
    _problem(api.get(f"/benefits/{made['id']}", token=tenant["user"], params={"include_deleted": "true"}), 403,
             "/query/include_deleted")


@pytest.mark.parametrize(("field", "value"), [("type", "gift"), ("tier_requirement", "gold"), ("value", -1),
                                              ("max_redemptions", 0), ("name", ""), ("status", "active")])
def test_bad_fields_are_refused_by_name(api, tenant, field, value):
    body = {"name": "Perk", "type": "reward", field: value}
    _problem(api.post("/benefits", token=tenant["manager"], json=body), 400, f"/body/{field}")


def test_lists_filters_tiers_and_search(api, tenant, local):
    tag = new_id().lower()[-8:]
    basic = _benefit(api, tenant, name=f"Towel {tag}", type="service")
    elite = _benefit(api, tenant, name=f"Lounge {tag}", type="access", tier_requirement="elite",
                     description="Quiet room for élite members")
    paused = _benefit(api, tenant, name=f"Smoothie {tag}", type="reward")
    r = api.post(f"/benefits/{paused['id']}/deactivate", token=tenant["manager"], headers={"if-match": '"1"'})
    assert r.status_code == 200 and r.json()["status"] == "inactive"

    listed = api.get("/benefits", token=tenant["user"], params={"limit": 200}).json()["items"]
    assert [b["id"] for b in listed][:3] == [paused["id"], elite["id"], basic["id"]]  # newest first
    access = api.get("/benefits", token=tenant["user"], params={"type": "access"}).json()["items"]
    assert {b["id"] for b in access} == {elite["id"]}
    inactive = api.get("/benefits", token=tenant["user"], params={"status": "inactive"}).json()["items"]
    assert paused["id"] in {b["id"] for b in inactive} and basic["id"] not in {b["id"] for b in inactive}

    # By tier: what a member of that tier may be granted (active, its requirement or a lower one, or none).
    def by_tier(tier):
        return {b["id"] for b in api.get(f"/benefits/by-tier/{tier}", token=tenant["user"]).json()["items"]}
    assert basic["id"] in by_tier("basic") and elite["id"] not in by_tier("premium")
    assert {basic["id"], elite["id"]} <= by_tier("executive") and paused["id"] not in by_tier("executive")
    _problem(api.get("/benefits/by-tier/gold", token=tenant["user"]), 400, "/path/tier")

    local.poller.settle("streams")
    found = api.get("/benefits/search", token=tenant["user"], params={"q": f"ELITE {tag[:3]}"}).json()["items"]
    assert [b["id"] for b in found] == [elite["id"]]  # accent- and case-insensitive, every word a prefix
    other = api.get("/benefits/search", token=tenant["other_admin"], params={"q": tag}).json()["items"]
    assert other == []
    _problem(api.get("/benefits/search", token=tenant["user"], params={"q": "--"}), 400, "/query/q")


def test_bulk_update_reports_each_item(api, tenant):
    a, b = _benefit(api, tenant), _benefit(api, tenant)
    r = api.patch("/benefits/bulk", token=tenant["admin"], json={"updates": [
        {"id": a["id"], "changes": {"value": 7}},
        {"id": b["id"], "version": 9, "changes": {"value": 8}},
        {"id": new_id(), "changes": {"value": 9}}]})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == [200, 412, 404] and r.json()["succeeded"] == 1
    assert api.get(f"/benefits/{a['id']}", token=tenant["user"]).json()["value"] == 7


def test_activate_and_deactivate_with_if_match(api, tenant):
    b = _benefit(api, tenant)
    _problem(api.post(f"/benefits/{b['id']}/activate", token=tenant["manager"]), 409)  # already active
    _problem(api.post(f"/benefits/{b['id']}/deactivate", token=tenant["manager"], headers={"if-match": '"7"'}), 412)
    _problem(api.post(f"/benefits/{b['id']}/deactivate", token=tenant["user"]), 403)
    assert api.post(f"/benefits/{b['id']}/deactivate", token=tenant["manager"]).json()["status"] == "inactive"
    member = _member(api, tenant)
    _problem(_grant(api, tenant, member, b["id"]), 409, "/body/benefit_id")  # an inactive benefit is not granted
    r = api.post(f"/benefits/{b['id']}/activate", token=tenant["manager"], headers={"if-match": '"2"'})
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["version"] == 3
    assert _grant(api, tenant, member, b["id"]).status_code == 201


def test_grant_enforces_the_tier_and_refuses_a_double_grant(api, tenant):
    elite = _benefit(api, tenant, tier_requirement="elite")
    premium_member, executive_member = _member(api, tenant, "premium"), _member(api, tenant, "executive")
    refused = _problem(_grant(api, tenant, premium_member, elite["id"]), 409, "/body/benefit_id")
    assert "elite" in refused["detail"] and "premium" in refused["detail"]
    r = _grant(api, tenant, executive_member, elite["id"])
    assert r.status_code == 201, r.text
    grant = r.json()
    assert grant["status"] == "active" and grant["member_id"] == executive_member and grant["used_at"] is None
    _problem(_grant(api, tenant, executive_member, elite["id"]), 409, "/body/benefit_id")  # no double grant

    _problem(_grant(api, tenant, executive_member, new_id()), 404, "/body/benefit_id")
    _problem(_grant(api, tenant, new_id(), elite["id"]), 404)
    _problem(api.post(f"/members/{executive_member}/benefits", token=tenant["other_admin"],
                      json={"benefit_id": elite["id"]}), 404)  # another tenant's member
    _problem(api.post(f"/members/{executive_member}/benefits", token=tenant["user"], json={"benefit_id": elite["id"]}),
             403)
    _problem(_grant(api, tenant, executive_member, "not-a-ulid"), 400, "/body/benefit_id")
    _problem(_grant(api, tenant, premium_member, _benefit(api, tenant)["id"], expires_at=1), 400, "/body/expires_at")


def test_use_once_then_grant_again(api, tenant, local):
    b = _benefit(api, tenant, max_redemptions=5)
    member = _member(api, tenant)
    _problem(_use(api, tenant, member, b["id"]), 404, "/path/benefit_id")  # never granted
    assert _grant(api, tenant, member, b["id"]).status_code == 201
    _problem(_use(api, tenant, member, b["id"], token=tenant["user"]), 403)
    used = _use(api, tenant, member, b["id"])
    assert used.status_code == 200 and used.json()["status"] == "used" and used.json()["used_at"]
    _problem(_use(api, tenant, member, b["id"]), 409, "/path/benefit_id")  # once
    again = _grant(api, tenant, member, b["id"])  # a used grant may be followed by a new one
    assert again.status_code == 201 and again.json()["id"] != used.json()["id"]

    mine = api.get(f"/members/{member}/benefits", token=tenant["user"]).json()["items"]
    assert [(g["id"], g["status"]) for g in mine] == [(again.json()["id"], "active"), (used.json()["id"], "used")]
    only_used = api.get(f"/members/{member}/benefits", token=tenant["user"], params={"status": "used"}).json()
    assert [g["id"] for g in only_used["items"]] == [used.json()["id"]]
    _problem(api.get(f"/members/{member}/benefits", token=tenant["other_admin"]), 404)
    _problem(api.get(f"/members/{member}/benefits", token=tenant["user"], params={"status": "gone"}), 400,
             "/query/status")
    assert _usage(api, local, tenant, b["id"]) == {"benefit_id": b["id"], "grants": 2, "active": 1, "uses": 1,
                                                   "expired": 0, "max_redemptions": 5, "remaining_redemptions": 4}
    _problem(api.patch(f"/benefits/{b['id']}", token=tenant["manager"], json={"max_redemptions": 0}), 400,
             "/body/max_redemptions")


def test_expiry_on_the_clock(api, tenant, local):
    b = _benefit(api, tenant)
    member, other = _member(api, tenant), _member(api, tenant)
    now = clock.now_ms()
    grant = _grant(api, tenant, member, b["id"], expires_at=now + 5 * MINUTE_MS).json()
    _grant(api, tenant, other, b["id"], expires_at=now + 60 * MINUTE_MS)
    assert grant["expires_at"] == now + 5 * MINUTE_MS

    # The first grant's expiry passes (within the tokens' 15 minutes): it reads as expired at once.
    clock.advance(5 * 60 + 1)
    listed = api.get(f"/members/{member}/benefits", token=tenant["user"], params={"status": "expired"}).json()
    assert [g["id"] for g in listed["items"]] == [grant["id"]]
    assert api.get(f"/members/{member}/benefits", token=tenant["user"], params={"status": "active"}).json()["items"] == []
    refused = _problem(_use(api, tenant, member, b["id"]), 409, "/path/benefit_id")
    assert "expired" in refused["detail"]

    local.poller.settle("schedules")  # the sweep records it: the usage report counts it
    usage = _usage(api, local, tenant, b["id"])
    assert (usage["grants"], usage["active"], usage["expired"], usage["uses"]) == (2, 1, 1, 0)
    assert _use(api, tenant, other, b["id"]).status_code == 200  # the other grant has most of an hour left
    assert _grant(api, tenant, member, b["id"]).status_code == 201  # an expired grant may be followed


def test_exactly_max_redemptions_of_20_uses_at_once_succeed(api, tenant, local, monkeypatch):
    """20 members each use their grant of a benefit with max_redemptions 5. Every use is held after its
    read and before its transaction until all 20 have read, so each saw the benefit untouched: only the
    transaction's condition can keep the count, and exactly 5 pass."""
    from shared.benefits import store

    b = _benefit(api, tenant, max_redemptions=5)
    members = [_member(api, tenant) for _ in range(20)]
    for m in members:
        assert _grant(api, tenant, m, b["id"]).status_code == 201
    held, real_use = threading.Barrier(20, timeout=20), store.use
    waited: set[str] = set()

    def use_after_all_have_read(client_id, grant_id, *, actor, check):
        def hold(grant):
            check(grant)
            if grant_id not in waited:  # the first read only: a retried read must not wait again
                waited.add(grant_id)
                held.wait()
        return real_use(client_id, grant_id, actor=actor, check=hold)

    monkeypatch.setattr(store, "use", use_after_all_have_read)
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda m: _use(api, tenant, m, b["id"]), members))
    assert sorted(r.status_code for r in answers) == [200] * 5 + [409] * 15, [r.text for r in answers]
    assert all(r.json()["field"] == "/path/benefit_id" for r in answers if r.status_code == 409)
    usage = _usage(api, local, tenant, b["id"])
    assert (usage["uses"], usage["active"], usage["remaining_redemptions"]) == (5, 15, 0)
    _problem(_grant(api, tenant, _member(api, tenant), b["id"]), 409, "/body/benefit_id")  # none left to grant
    _problem(api.patch(f"/benefits/{b['id']}", token=tenant["manager"], json={"max_redemptions": 4}), 409,
             "/body/max_redemptions")


def test_eligible_benefits_for_recommendations(api, tenant):
    from shared.benefits import service

    basic, elite = _benefit(api, tenant), _benefit(api, tenant, tier_requirement="elite")
    spent = _benefit(api, tenant, max_redemptions=1)
    member = _member(api, tenant, "premium")
    assert _grant(api, tenant, member, basic["id"]).status_code == 201
    someone = _member(api, tenant)
    _grant(api, tenant, someone, spent["id"])
    _use(api, tenant, someone, spent["id"])
    offered = {e["benefit"]["id"]: e["reason"] for e in service.eligible_for(tenant["id"], "premium", member)}
    assert basic["id"] not in offered  # held, unused
    assert elite["id"] not in offered and spent["id"] not in offered  # tier too low; no redemptions left
    fresh = _benefit(api, tenant, tier_requirement="premium", max_redemptions=3)
    offered = {e["benefit"]["id"]: e["reason"] for e in service.eligible_for(tenant["id"], "premium", member)}
    assert offered[fresh["id"]] == "open to tier premium and above; the member is premium; 3 of 3 redemptions left"


def test_the_demo_seed_grants_what_the_rules_allow(api, local):
    """`echelonx seed`'s benefits on a tenant of its own: each member holds only benefits its tier allows."""
    from shared.benefits.models import TIERS
    from shared.local.seed_benefits import DEMO_BENEFITS, seed_benefits

    creds = local.logins["super_admin"]
    sa = _login(api, creds["email"], creds["password"]).json()["access_token"]
    client_id = api.post("/clients", token=sa, json={"name": f"Seeded Co {new_id()}"}).json()["id"]
    tiers = {}
    for tier in ("basic", "elite"):
        r = api.post("/members", token=sa, params={"client_id": client_id}, json={"member_id": f"S-{tier}", "tier": tier})
        tiers[r.json()["id"]] = tier
    seed_benefits(client_id)
    seed_benefits(client_id)  # idempotent
    listed = api.get("/benefits", token=sa, params={"client_id": client_id}).json()["items"]
    assert len(listed) == len(DEMO_BENEFITS)
    needs = {b["id"]: b["tier_requirement"] for b in listed}
    for member_id, tier in tiers.items():
        held = api.get(f"/members/{member_id}/benefits", token=sa, params={"client_id": client_id}).json()["items"]
        assert held and all(TIERS.index(needs[g["benefit_id"]] or "basic") <= TIERS.index(tier) for g in held)
    assert any(g["status"] == "used" for m in tiers
               for g in api.get(f"/members/{m}/benefits", token=sa, params={"client_id": client_id}).json()["items"])
