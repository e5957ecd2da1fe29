"""Member operations through the gateway with real JWTs: happy paths and each refusal."""

from __future__ import annotations

import pytest

from shared.ids import new_id
from tests import tenants
from tests.eventually import eventually

PASSWORD = "correct-horse-battery"


def _login(api, email, password=PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture(scope="module")
def sa(api, local):
    creds = local.logins["super_admin"]
    return _login(api, creds["email"], creds["password"]).json()["access_token"]


@pytest.fixture(scope="module")
def tenant(api, sa):
    """A fresh tenant (default country GB) with an admin, a manager and a user; a second tenant's admin."""
    return tenants.two_tenants(api, sa, "Members Co", "members.example", default_country="GB")


def _problem(r, status, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.text
    if field:
        assert r.json()["field"] == field, r.json()
    return r.json()


def test_create_and_get_a_member(api, tenant):
    r = api.post("/members", token=tenant["manager"], json={
        "member_id": f"M-{new_id()}", "first_name": "Zoë", "email": "Zoe@Example.com", "phone": "020 7946 0958",
        "timezone": "Europe/London", "language": "en-gb", "tier": "premium", "tags": ["vip"]})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["email"] == "zoe@example.com" and made["phone"] == "+442079460958"  # the tenant's country
    assert made["language"] == "en-GB" and made["status"] == "active" and made["version"] == 1
    code = made["referral_code"]
    assert len(code) == 8 and not set(code) & set("01OIL")
    got = api.get(f"/members/{made['id']}", token=tenant["user"])
    assert got.status_code == 200 and got.headers["etag"] == '"1"' and got.json()["member_id"] == made["member_id"]
    # Another tenant's admin does not see it.
    _problem(api.get(f"/members/{made['id']}", token=tenant["other_admin"]), 404)


def test_unique_fields_are_refused_by_name(api, tenant):
    first = api.post("/members", token=tenant["admin"], json={"member_id": f"U-{new_id()}",
                                                              "email": f"u-{new_id().lower()}@example.com",
                                                              "referral_code": f"REF{new_id()[-6:]}"}).json()
    for field, value in (("member_id", first["member_id"]), ("email", first["email"].upper()),
                         ("referral_code", first["referral_code"].lower())):
        body = {"member_id": f"U-{new_id()}", field: value}
        _problem(api.post("/members", token=tenant["admin"], json=body), 409, f"/body/{field}")


@pytest.mark.parametrize(("field", "value"), [("timezone", "Mars/Olympus"), ("timezone", "../etc/passwd"),
                                              ("language", "english"), ("tier", "gold"), ("email", "not-an-email"),
                                              ("phone", "12"), ("referred_by", "01JDEM00000000000000000000")])
def test_bad_fields_are_refused_by_name(api, tenant, field, value):
    _problem(api.post("/members", token=tenant["admin"], json={"member_id": f"B-{new_id()}", field: value}), 400,
             f"/body/{field}")


def test_a_user_cannot_create_members(api, tenant):
    _problem(api.post("/members", token=tenant["user"], json={"member_id": f"X-{new_id()}"}), 403)


# --- the member core: lookups, updates, deletes, lists, filters, search, bulk ---------------------
def _member(api, token, **fields) -> dict:
    body = {"member_id": f"M-{new_id()}", **fields}
    r = api.post("/members", token=token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _ids(r) -> list[str]:
    assert r.status_code == 200, r.text
    return [m["id"] for m in r.json()["items"]]


def _listed(api, token, path="/members", **params) -> list[str]:
    """Every member a list answers, following next_cursor (pages of 1: no skip, no repeat)."""
    ids, cursor = [], None
    for _ in range(50):
        r = api.get(path, token=token, params={"limit": 1, **params, **({"cursor": cursor} if cursor else {})})
        ids += _ids(r)
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the list never ended")


def test_lookups_by_member_id_and_email(api, tenant):
    made = _member(api, tenant["manager"], email=f"Look-{new_id().lower()}@Example.com")
    by_id = api.get("/members/by-member-id", token=tenant["user"], params={"member_id": made["member_id"]})
    assert by_id.status_code == 200 and by_id.json()["id"] == made["id"]
    by_email = api.get("/members/by-email", token=tenant["user"], params={"email": made["email"].upper()})
    assert by_email.status_code == 200 and by_email.json()["id"] == made["id"]
    _problem(api.get("/members/by-email", token=tenant["other_admin"], params={"email": made["email"]}), 404)
    _problem(api.get("/members/by-member-id", token=tenant["other_admin"], params={"member_id": made["member_id"]}),
             404)
    _problem(api.get("/members/by-email", token=tenant["user"], params={"email": "nobody"}), 400, "/query/email")


def test_update_member(api, tenant):
    taken = _member(api, tenant["admin"], email=f"taken-{new_id().lower()}@example.com")
    made = _member(api, tenant["admin"], email=f"before-{new_id().lower()}@example.com")
    path, old_email = f"/members/{made['id']}", made["email"]
    new_email = f"After-{new_id().lower()}@Example.com"
    r = api.patch(path, token=tenant["manager"], headers={"if-match": '"1"'},
                  json={"email": new_email, "phone": "07911 123456", "tags": ["gold"], "notes": None})
    assert r.status_code == 200, r.text
    assert r.json()["email"] == new_email.lower() and r.json()["phone"] == "+447911123456" and r.json()["version"] == 2
    # The old email is free again, the new one taken; the old version is stale.
    _member(api, tenant["admin"], email=old_email)
    _problem(api.patch(path, token=tenant["admin"], json={"email": taken["email"].upper()}), 409, "/body/email")
    _problem(api.patch(path, token=tenant["admin"], json={"member_id": taken["member_id"]}), 409, "/body/member_id")
    _problem(api.patch(path, token=tenant["admin"], json={"referral_code": taken["referral_code"]}), 409,
             "/body/referral_code")
    _problem(api.patch(path, token=tenant["admin"], headers={"if-match": '"1"'}, json={"notes": "x"}), 412)
    # The tier moves through upgradeMemberTier alone; bad values and removals are named.
    for field, value in (("tier", "elite"), ("timezone", "Mars/Olympus"), ("language", "english"),
                         ("status", "gone"), ("phone", "12"), ("email", "not-an-email"), ("member_id", None)):
        _problem(api.patch(path, token=tenant["admin"], json={field: value}), 400, f"/body/{field}")
    _problem(api.patch(path, token=tenant["user"], json={"notes": "x"}), 403)
    _problem(api.patch(path, token=tenant["other_admin"], json={"notes": "x"}), 404)
    assert api.get(path, token=tenant["user"]).json()["version"] == 2  # no refusal wrote anything


def test_referred_by_is_never_the_member_itself_nor_a_loop(api, tenant):
    first = _member(api, tenant["admin"])
    second = _member(api, tenant["admin"], referred_by=first["id"])
    third = _member(api, tenant["admin"], referred_by=second["id"])
    _problem(api.patch(f"/members/{first['id']}", token=tenant["admin"], json={"referred_by": first["id"]}), 400,
             "/body/referred_by")
    _problem(api.patch(f"/members/{first['id']}", token=tenant["admin"], json={"referred_by": third["id"]}), 409,
             "/body/referred_by")
    r = api.patch(f"/members/{third['id']}", token=tenant["admin"], json={"referred_by": first["id"]})
    assert r.status_code == 200 and r.json()["referred_by"] == first["id"], r.text


def test_delete_member_frees_its_claims(api, tenant):
    made = _member(api, tenant["admin"], email=f"gone-{new_id().lower()}@example.com")
    path = f"/members/{made['id']}"
    _problem(api.delete(path, token=tenant["user"]), 403)
    _problem(api.delete(path, token=tenant["other_admin"]), 404)
    _problem(api.delete(path, token=tenant["admin"], headers={"if-match": '"7"'}), 412)
    assert api.delete(path, token=tenant["manager"], headers={"if-match": '"1"'}).status_code == 204
    _problem(api.get(path, token=tenant["admin"]), 404)
    _problem(api.get("/members/by-email", token=tenant["admin"], params={"email": made["email"]}), 404)
    assert api.get(path, token=tenant["admin"], params={"include_deleted": "true"}).json()["deleted_at"]
    again = _member(api, tenant["admin"], member_id=made["member_id"], email=made["email"],
                    referral_code=made["referral_code"])
    assert again["id"] != made["id"]


def test_filters_read_by_index_and_page_without_repeats(api, tenant):
    from shared.members import store

    run = new_id().lower()
    tag, channel = f"Tag-{run}", f"Référral Web {run}"
    hot = _member(api, tenant["admin"], tier="premium", tags=[tag, "other"], acquisition_channel=channel,
                  last_active=1_700_000_000_000)
    cold = _member(api, tenant["admin"], tier="basic", tags=[tag.upper()], status="inactive",
                   last_active=1_600_000_000_000)
    plain = _member(api, tenant["admin"], tier="premium", tags=[tag])
    _member(api, tenant["admin"], tier="premium", tags=["unrelated"], acquisition_channel=channel)
    store.update(tenant["id"], hot["id"], {"engagement_score": 85}, actor=None, operation="updateMemberEngagement")
    store.update(tenant["id"], cold["id"], {"engagement_score": 5}, actor=None, operation="updateMemberEngagement")
    newest_first = [plain["id"], cold["id"], hot["id"]]
    token = tenant["user"]
    eventually(lambda: _listed(api, token, tag=tag.lower()) == newest_first)
    assert _listed(api, token, tag=tag, tier="premium") == [plain["id"], hot["id"]]
    assert _listed(api, token, "/members/by-tier/premium", tag=tag) == [plain["id"], hot["id"]]
    assert _listed(api, token, tag=tag, status="inactive") == [cold["id"]]
    eventually(lambda: _listed(api, token, tag=tag, engagement_band="hot") == [hot["id"]])
    assert _listed(api, token, tag=tag, engagement_band="cold") == [cold["id"]]
    assert _listed(api, token, tag=tag, engagement_band="none") == [plain["id"]]
    assert _listed(api, token, acquisition_channel=f"referral web {run}", tier="premium")[-1] == hot["id"]
    assert _listed(api, token, tag=tag, last_active_from=1_650_000_000_000) == [hot["id"]]
    assert _listed(api, token, tag=tag, last_active_to=1_650_000_000_000) == [cold["id"]]
    # A filter on the last_active range alone reads its own index, most recently active first.
    r = api.get("/members", token=token, params={"last_active_from": 1_599_999_999_999,
                                                 "last_active_to": 1_700_000_000_001, "limit": 200})
    assert [i for i in _ids(r) if i in newest_first] == [hot["id"], cold["id"]]
    # A deleted member leaves its filters.
    assert api.delete(f"/members/{plain['id']}", token=tenant["admin"]).status_code == 204
    eventually(lambda: _listed(api, token, tag=tag) == [cold["id"], hot["id"]])
    _problem(api.get("/members", token=token, params={"engagement_band": "lukewarm"}), 400, "/query/engagement_band")
    _problem(api.get("/members", token=token, params={"last_active_from": 5, "last_active_to": 4}), 400,
             "/query/last_active_to")
    _problem(api.get("/members", token=token, params={"status": "gone"}), 400, "/query/status")
    _problem(api.get("/members/by-tier/gold", token=token), 400)
    _problem(api.get("/members", token=token, params={"include_deleted": "true"}), 403, "/query/include_deleted")
    assert _ids(api.get("/members", token=tenant["other_admin"], params={"tag": tag})) == []


def test_search_members(api, tenant):
    run = new_id().lower()[-8:]
    zoe = _member(api, tenant["admin"], first_name="Zoë", last_name=f"Ångström{run}", email=f"zoe.{run}@example.com",
                  phone="+44 20 7946 0958", member_id=f"ZA-{run}", last_active=1_700_000_000_000)
    other = _member(api, tenant["admin"], first_name="Zola", last_name=f"Angstrom{run}", member_id=f"Q-{run}x",
                    last_active=1_800_000_000_000)
    token = tenant["user"]

    def found(q, limit=50):
        return _ids(api.get("/members/search", token=token, params={"q": q, "limit": limit}))

    eventually(lambda: set(found(f"angstrom{run}")) == {zoe["id"], other["id"]})
    assert found(f"zoe ANGSTRÖM{run[:3]}") == [zoe["id"]]
    assert found(f"zo angstrom{run}") == [other["id"], zoe["id"]]  # both names: the most recently active first
    assert zoe["id"] in found("7946 0958") and zoe["id"] in found("+44 20 7946") and zoe["id"] in found("0207946")
    assert found(f"za-{run}") == [zoe["id"]]
    assert found(f"zoe.{run}@example.com") == [zoe["id"]]
    # Ranked: the whole member_id first, then member_id matches, then a name match, each most recently active first.
    exact = _member(api, tenant["admin"], member_id=run.upper(), last_active=1_000)
    named = _member(api, tenant["admin"], first_name=run, last_name="Smith", last_active=1_900_000_000_000)
    eventually(lambda: len(found(run)) == 4)
    assert found(run) == [exact["id"], other["id"], zoe["id"], named["id"]]
    assert _ids(api.get("/members/search", token=tenant["other_admin"], params={"q": f"angstrom{run}"})) == []
    _problem(api.get("/members/search", token=token, params={"q": "!!"}), 400, "/query/q")
    assert api.delete(f"/members/{zoe['id']}", token=tenant["admin"]).status_code == 204
    eventually(lambda: found(f"angstrom{run}") == [other["id"]])


def test_bulk_update_members_answers_each_item(api, tenant):
    first, second = _member(api, tenant["admin"]), _member(api, tenant["admin"])
    taken = _member(api, tenant["admin"], email=f"bulk-{new_id().lower()}@example.com")
    r = api.patch("/members/bulk", token=tenant["manager"], json={"updates": [
        {"id": first["id"], "version": 1, "changes": {"notes": "ok"}},
        {"id": second["id"], "version": 5, "changes": {"notes": "stale"}},
        {"id": second["id"], "changes": {"email": taken["email"]}},
        {"id": new_id(), "changes": {"notes": "nobody"}}]})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == [200, 412, 409, 404] and r.json()["succeeded"] == 1
    assert results[2]["error"]["field"] == "/body/email"
    assert api.get(f"/members/{first['id']}", token=tenant["user"]).json()["notes"] == "ok"
    assert api.get(f"/members/{second['id']}", token=tenant["user"]).json()["version"] == 1
    _problem(api.patch("/members/bulk", token=tenant["user"], json={"updates": [
        {"id": first["id"], "changes": {"notes": "x"}}]}), 403)
    _problem(api.patch("/members/bulk", token=tenant["admin"], json={"updates": [
        {"id": first["id"], "changes": {"tier": "elite"}}]}), 400, "/body/updates/0/changes/tier")
