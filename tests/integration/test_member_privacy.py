"""eraseMember and exportMember through the gateway: an admin's privacy requests about one member."""

from __future__ import annotations

import itertools
import json

import pytest

from shared import clock
from shared.ids import new_id

PASSWORD = "correct-horse-battery"
_PHONES = itertools.count(9000)  # a number per person, above the imports' 020 7946 0000-0999: in nobody else's record


@pytest.fixture(scope="module")
def tenant(api, local):
    """A fresh tenant (default country GB) with an admin and a manager."""
    creds = local.logins["super_admin"]
    sa = api.post("/auth/login", json={"email": creds["email"], "password": creds["password"]}).json()["access_token"]
    r = api.post("/clients", token=sa, json={"name": f"Privacy Co {new_id()}", "subscription_tier": "premium",
                                             "default_country": "GB"})
    assert r.status_code == 201, r.text
    client_id, tokens = r.json()["id"], {}
    for role in ("admin", "manager"):
        email = f"{role}-{new_id().lower()}@privacy.example"
        r = api.post("/users", token=sa, json={"email": email, "role": role, "password": PASSWORD,
                                               "client_id": client_id})
        assert r.status_code == 201, r.text
        tokens[role] = api.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
    return {"id": client_id, **tokens}


def _person(api, tenant, **extra) -> dict:
    tag = new_id().lower()
    r = api.post("/members", token=tenant["admin"], json={
        "member_id": f"P-{tag}", "first_name": "Maëlle", "last_name": f"Quintrel{tag}", "full_name": "Maëlle Q",
        "email": f"maelle.{tag}@privacy.example", "phone": f"020 7946 {next(_PHONES):04d}", "date_of_birth": 641_000_000_000,
        "gender": "female", "location": f"Lyon {tag}", "timezone": "Europe/Paris", "language": "fr",
        "preferences": {"diet": f"vegan {tag}"}, "tags": [f"allergy-{tag}"], "notes": f"called about {tag}",
        "social_profiles": {"x": f"@m{tag}"}, "tier": "premium", "total_spend": "340", "acquisition_channel": "tv",
        **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _activity(local, member: dict, metadata: dict) -> None:
    """An activity event in the member's partition, as trackMemberActivity writes one."""
    at = clock.now_ms()
    item = {"PK": f"T#{member['client_id']}#MEMBER#{member['id']}", "SK": f"ACTIVITY#{at:015d}#{new_id()}",
            "entity": "MEMBER_ACTIVITY", "client_id": member["client_id"], "member_id": member["id"],
            "type": "page_view", "at": at, "metadata": json.dumps(metadata)}
    local.aws.client("dynamodb").put_item(TableName=local.aws.names["Table"], Item={
        k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in item.items()})


def _stored_text(local) -> str:
    """Every item of the table as stored (a test may scan; no request path does)."""
    pages = local.aws.client("dynamodb").get_paginator("scan").paginate(TableName=local.aws.names["Table"])
    return json.dumps([item for page in pages for item in page["Items"]])


def _problem(r, status, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.text
    if field:
        assert r.json()["field"] == field, r.json()


def test_export_answers_everything_held_about_the_member(api, local, tenant):
    member = _person(api, tenant)
    _activity(local, member, {"page": "/checkout", "basket": ["shoes"]})
    params = {"client_id": tenant["id"]}
    _problem(api.get(f"/members/{member['id']}/export", token=tenant["manager"], params=params), 403)

    r = api.get(f"/members/{member['id']}/export", token=tenant["admin"], params=params)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["member"]["email"] == member["email"] and answer["member"]["phone"].startswith("+44207946")
    assert [(a["type"], a["metadata"]) for a in answer["data"]["activity"]] == [
        ("page_view", {"page": "/checkout", "basket": ["shoes"]})]
    assert [e["operation"] for e in answer["data"]["audit"]] == ["createMember"]
    assert answer["data"]["audit"][0]["changes"]["email"]["after"] == member["email"]


def test_erasure_removes_the_person_and_keeps_the_figures(api, local, tenant):
    from shared.members import privacy

    member = _person(api, tenant)
    referred = _person(api, tenant, referred_by=member["id"], total_spend="10")
    _activity(local, member, {"search": f"maternity {member['member_id']}"})
    params = {"client_id": tenant["id"]}
    local.poller.settle("streams")
    stats, segments = (api.get(f"/members/{what}", token=tenant["admin"], params=params).json()
                       for what in ("stats", "segments"))
    personal = [member["email"], member["phone"], member["last_name"], member["location"], member["notes"], member["referral_code"],
                member["member_id"].replace("P-", "allergy-"), "maternity"]

    _problem(api.post(f"/members/{member['id']}/erase", token=tenant["manager"], params=params), 403)
    _problem(api.post(f"/members/{member['id']}/erase", token=tenant["admin"], params=params,
                      headers={"if-match": '"7"'}), 412, "/headers/if-match")
    r = api.post(f"/members/{member['id']}/erase", token=tenant["admin"], params=params, headers={"if-match": '"1"'})
    assert r.status_code == 200, r.text
    erasure = r.json()
    assert set(erasure["fields_erased"]) >= {"email", "phone", "first_name", "notes", "tags", "referral_code"}
    assert erasure["items_changed"] == {"activity": 1, "audit": 1} and erasure["version"] == 2

    got = api.get(f"/members/{member['id']}", token=tenant["admin"], params=params).json()
    assert (got["member_id"], got["tier"], got["total_spend"], got["acquisition_channel"]) == (
        member["member_id"], "premium", 340, "tv")
    assert all(got[name] is None for name in privacy.ERASED_FIELDS) and got["erased_at"] == erasure["erased_at"]
    # Nothing of the person is stored anywhere: the item, claims, activity, audit entries, proofs.
    stored = _stored_text(local)
    assert not [value for value in personal if value in stored]
    # The figures did not move.
    local.poller.settle("streams")
    assert api.get("/members/stats", token=tenant["admin"], params=params).json() == stats
    assert api.get("/members/segments", token=tenant["admin"], params=params).json() == segments
    referrer = api.get(f"/members/{referred['id']}", token=tenant["admin"], params=params).json()
    assert referrer["referred_by"] == member["id"]

    # The email and referral code are free again; an opt-out proof still matches the erased address.
    again = api.post("/members", token=tenant["admin"], json={"member_id": f"N-{new_id()}", "email": member["email"],
                                                              "referral_code": member["referral_code"]})
    assert again.status_code == 201, again.text
    assert privacy.matches_erased(tenant["id"], email=member["email"].upper())
    national = "0" + member["phone"][3:]
    assert privacy.matches_erased(tenant["id"], phone=member["phone"])
    assert privacy.matches_erased(tenant["id"], phone=f"{national[:3]} {national[3:7]} {national[7:]}")  # as GB
    assert not privacy.matches_erased(tenant["id"], email=f"someone-{new_id().lower()}@privacy.example")
    assert not privacy.matches_erased(referred["client_id"], email=referred["email"])  # never erased

    # Twice is fine: nothing more to erase, nothing written.
    r = api.post(f"/members/{member['id']}/erase", token=tenant["admin"], params=params)
    assert r.status_code == 200, r.text
    assert (r.json()["fields_erased"], r.json()["version"], r.json()["erased_at"]) == ([], 2, erasure["erased_at"])
    assert r.json()["items_changed"] == {"activity": 0, "audit": 0}

    # The erasure is audited, by whom and which fields, without their values.
    export = api.get(f"/members/{member['id']}/export", token=tenant["admin"], params=params).json()
    entry = next(e for e in export["data"]["audit"] if e["operation"] == "eraseMember")
    assert entry["changes"]["email"] == {"before": "[redacted]", "after": None}
    assert export["data"]["activity"][0].get("metadata") is None and export["data"]["activity"][0]["type"] == "page_view"


def test_a_deleted_member_is_erased_without_touching_a_new_holder_of_its_email(api, local, tenant):
    from shared.members import store

    member = _person(api, tenant)
    store.soft_delete(tenant["id"], member["id"], actor=None)
    params = {"client_id": tenant["id"]}
    newcomer = api.post("/members", token=tenant["admin"], json={"member_id": f"N-{new_id()}", "email": member["email"]})
    assert newcomer.status_code == 201, newcomer.text
    r = api.post(f"/members/{member['id']}/erase", token=tenant["admin"], params=params)
    assert r.status_code == 200, r.text
    # The newcomer still holds the email: a third member cannot take it.
    _problem(api.post("/members", token=tenant["admin"], json={"member_id": f"T-{new_id()}", "email": member["email"]}),
             409, "/body/email")
    _problem(api.post(f"/members/{new_id()}/erase", token=tenant["admin"], params=params), 404)
