"""Every client operation (and getExportJob) through the gateway with real JWTs: happy paths, each
refusal, concurrency, the stream-fed revenue/usage counters, the export worker and suspension."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from shared import clock
from shared.ids import new_id
from tests.eventually import eventually

PASSWORD = "correct-horse-battery"
DAY_MS = 24 * 3600 * 1000
NO_SUCH_JOB = "01JDEM00000000000000000000"  # a well-formed id that names nothing


def _login(api, email, password=PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


def _new_client(api, sa, **fields) -> dict:
    body = {"name": f"Tenant {new_id()}", "subscription_tier": "basic", **fields}
    r = api.post("/clients", token=sa, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _staff(api, sa, client_id, role) -> tuple[dict, str]:
    """A user of the tenant made through the API, and its access token."""
    email = f"{role}-{new_id().lower()}@tenant.example"
    r = api.post("/users", token=sa, json={"email": email, "role": role, "password": PASSWORD, "client_id": client_id,
                                           "first_name": "Test", "last_name": role.capitalize()})
    assert r.status_code == 201, r.text
    answer = _login(api, email)
    assert answer.status_code == 200, answer.text
    return r.json(), answer.json()["access_token"]


@pytest.fixture(scope="module")
def sa(api, local):
    creds = local.logins["super_admin"]
    return _login(api, creds["email"], creds["password"]).json()["access_token"]


@pytest.fixture(scope="module")
def tenant(api, sa):
    """A fresh tenant with an admin, a manager and a user; and a second tenant with its own admin."""
    client = _new_client(api, sa, subscription_tier="premium", monthly_spend_limit=10)
    other = _new_client(api, sa)
    people = {role: _staff(api, sa, client["id"], role) for role in ("admin", "manager", "user")}
    people["other_admin"] = _staff(api, sa, other["id"], "admin")
    return {"client": client, "other": other, "users": {k: v[0] for k, v in people.items()},
            **{k: v[1] for k, v in people.items()}}


def _problem(r, status, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.text
    if field:
        assert r.json()["field"] == field, r.json()
    return r.json()


# --- create, get, update, delete ---------------------------------------------------------------------
def test_create_get_update_delete(api, sa, tenant):
    name = f"Zoë's Gym {new_id()}"
    made = _new_client(api, sa, name=name, email="Hello@Zoe.example", phone="(415) 555-2671", company_size="11-50",
                       monthly_spend_limit=1234.5, contract_start=1_000, contract_end=2_000, tags=["gym"])
    assert made["phone"] == "+14155552671" and made["email"] == "hello@zoe.example"
    assert made["monthly_spend_limit"] == 1234.5 and made["version"] == 1 and made["status"] == "active"
    got = api.get(f"/clients/{made['id']}", token=sa)
    assert got.status_code == 200 and got.headers["etag"] == '"1"' and got.json()["name"] == name
    # Unique ignoring case and spacing.
    _problem(api.post("/clients", token=sa, json={"name": "  " + name.upper().replace(" ", "  ")}), 409, "/body/name")
    renamed = api.patch(f"/clients/{made['id']}", token=sa, json={"name": name + " II", "notes": "renamed"},
                        headers={"if-match": '"1"'})
    assert renamed.status_code == 200 and renamed.json()["version"] == 2, renamed.text
    assert _new_client(api, sa, name=name)["name"] == name  # the old name was released by the rename
    _problem(api.patch(f"/clients/{made['id']}", token=sa, json={"name": name.lower()}), 409, "/body/name")
    _problem(api.delete(f"/clients/{made['id']}", token=sa, headers={"if-match": '"1"'}), 412, "/headers/if-match")
    assert api.delete(f"/clients/{made['id']}", token=sa).status_code == 204
    _problem(api.get(f"/clients/{made['id']}", token=sa), 404)
    kept = api.get(f"/clients/{made['id']}", token=sa, params={"include_deleted": "true"})
    assert kept.status_code == 200 and kept.json()["deleted_at"]
    _problem(api.delete(f"/clients/{made['id']}", token=sa), 404)
    assert _new_client(api, sa, name=name + " II")["id"]  # deletion released the name


def test_validation_names_the_field(api, sa, tenant):
    cid, admin = tenant["client"]["id"], tenant["admin"]
    cases = [
        (api.post, "/clients", sa, {"json": {"name": "x", "company_size": "huge"}}, "/body/company_size"),
        (api.post, "/clients", sa, {"json": {"email": "not-an-email", "name": "y"}}, "/body/email"),
        (api.post, "/clients", sa, {"json": {"name": ""}}, "/body/name"),
        (api.post, "/clients", sa, {"json": {"name": "z", "bogus": 1}}, "/body/bogus"),
        (api.post, "/clients", sa, {"json": {"name": "z", "contract_start": 5, "contract_end": 4}},
         "/body/contract_end"),
        (api.post, "/clients", sa, {"json": {"name": "z", "monthly_spend_limit": -1}}, "/body/monthly_spend_limit"),
        (api.post, "/clients", sa, {"json": {"name": "z", "phone": "12"}}, "/body/phone"),
        (api.patch, f"/clients/{cid}", admin, {"json": {"website": "ftp://x"}}, "/body/website"),
        (api.patch, f"/clients/{cid}", sa, {"json": {"status": None}}, "/body/status"),
        # Bodies keep their JSON types: `false` was once stored as contract_end 0; a bodiless PATCH answered 200.
        (api.patch, f"/clients/{cid}", sa, {"json": {"contract_end": False}}, "/body/contract_end"),
        (api.patch, f"/clients/{cid}", sa, {"json": {"monthly_spend_limit": True}}, "/body/monthly_spend_limit"),
        (api.patch, f"/clients/{cid}", admin, {"json": {"notes": 12}}, "/body/notes"),
        (api.patch, f"/clients/{cid}", admin, {}, "/body"),
        (api.patch, "/clients/bulk", admin, {"json": {"updates": [{"id": cid, "version": "1", "changes": {}}]}},
         "/body/updates/0/version"),
        (api.patch, f"/clients/{cid}", sa, {"json": {"contract_end": 1}, "headers": {"if-match": "abc"}},
         "/headers/if-match"),
        (api.get, "/clients", sa, {"params": {"limit": 0}}, "/query/limit"),
        (api.get, f"/clients/{cid}", admin, {"params": {"include_deleted": "maybe"}}, "/query/include_deleted"),
        (api.get, "/clients/by-tier/platinum", sa, {}, "/path/tier"),
        (api.get, "/clients/by-tier/Basic", sa, {}, "/path/tier"),
        # Ids are ULIDs: anything else is refused before it reaches a key.
        (api.get, "/clients/nope", sa, {}, "/path/id"),
        (api.get, f"/clients/{cid}x", admin, {}, "/path/id"),
        (api.get, f"/clients/{cid.lower()}", admin, {}, "/path/id"),
        (api.delete, "/clients/T%23x%23CLIENT", sa, {}, "/path/id"),
        (api.post, "/clients/nope/upgrade-tier", sa, {"json": {"tier": "custom"}}, "/path/id"),
        (api.get, f"/clients/{cid}/exports/01JDEMO0000000000000000000", admin, {}, "/path/job_id"),  # an O
        (api.get, "/clients/search", sa, {}, "/query/q"),
        (api.get, "/clients/search", sa, {"params": {"q": "!!"}}, "/query/q"),
        (api.get, f"/clients/{cid}/revenue", admin, {"params": {"months": 0}}, "/query/months"),
        (api.get, f"/clients/{cid}/usage", admin, {"params": {"month": "2025-13"}}, "/query/month"),
        (api.patch, "/clients/bulk", admin, {"json": {"updates": []}}, "/body/updates"),
        (api.get, f"/clients/{cid}/activity", admin, {"params": {"limit": 500}}, "/query/limit"),
        (api.get, "/clients/expiring-contracts", sa, {"params": {"days": 0}}, "/query/days"),
        (api.post, f"/clients/{cid}/upgrade-tier", sa, {"json": {"tier": "gold"}}, "/body/tier"),
        (api.get, "/clients", sa, {"params": {"cursor": "!!!"}}, "/query/cursor"),
    ]
    for call, path, token, kwargs, field in cases:
        _problem(call(path, token=token, **kwargs), 400, field)


ROUTES = [("get", "/clients"), ("get", "/clients/{id}"), ("post", "/clients"), ("patch", "/clients/{id}"),
          ("delete", "/clients/{id}"), ("get", "/clients/stats"), ("get", "/clients/by-tier/basic"),
          ("get", "/clients/search?q=ab"), ("get", "/clients/{id}/revenue"), ("get", "/clients/{id}/usage"),
          ("patch", "/clients/bulk"), ("get", "/clients/{id}/activity"), ("get", "/clients/expiring-contracts"),
          ("post", "/clients/{id}/upgrade-tier"), ("post", "/clients/{id}/export"),
          ("get", "/clients/{id}/exports/" + NO_SUCH_JOB)]


def test_no_token_is_refused_by_the_gateway(api, tenant):
    for method, path in ROUTES:
        r = getattr(api, method)(path.format(id=tenant["client"]["id"]), json={})
        assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}, (method, path, r.text)


def test_roles_that_may_never_are_refused(api, tenant):
    cid = tenant["client"]["id"]
    body = {"json": {"name": "nope", "tier": "custom", "updates": [{"id": cid, "changes": {}}]}}
    refused = {
        "admin": [("post", "/clients"), ("delete", "/clients/{id}"), ("get", "/clients/stats"),
                  ("get", "/clients/by-tier/basic"), ("get", "/clients/search?q=ab"),
                  ("get", "/clients/expiring-contracts"), ("post", "/clients/{id}/upgrade-tier")],
        "manager": [("patch", "/clients/{id}"), ("patch", "/clients/bulk"), ("post", "/clients/{id}/export"),
                    ("get", "/clients/{id}/exports/" + NO_SUCH_JOB)],
        "user": [("get", "/clients/{id}/revenue"), ("get", "/clients/{id}/usage")],
    }
    for role, routes in refused.items():
        for method, path in routes:
            r = getattr(api, method)(path.format(id=cid), token=tenant[role], **body)
            assert _problem(r, 403)["type"].endswith("/forbidden"), (role, method, path)


def test_tenancy_another_tenants_client_is_not_found(api, sa, tenant):
    cid, other = tenant["client"]["id"], tenant["other"]["id"]
    admin, manager, user = tenant["admin"], tenant["manager"], tenant["user"]
    for token in (admin, manager, user):
        assert api.get(f"/clients/{cid}", token=token).status_code == 200
        _problem(api.get(f"/clients/{other}", token=token), 404)
        _problem(api.get(f"/clients/{other[:-1]}{'1' if other[-1] == '0' else '0'}", token=token), 404)  # a near miss
        _problem(api.get(f"/clients/{other}/activity", token=token), 404)
    for path in (f"/clients/{other}/revenue", f"/clients/{other}/usage"):
        _problem(api.get(path, token=manager), 404)
    _problem(api.patch(f"/clients/{other}", token=admin, json={"notes": "x"}), 404)
    _problem(api.post(f"/clients/{other}/export", token=admin), 404)
    _problem(api.get(f"/clients/{other}/exports/{NO_SUCH_JOB}", token=admin), 404)
    # Unknown ids for super_admin.
    nobody = new_id()
    for call, path in ((api.get, f"/clients/{nobody}"), (api.delete, f"/clients/{nobody}"),
                       (api.get, f"/clients/{nobody}/revenue")):
        _problem(call(path, token=sa), 404)
    _problem(api.post(f"/clients/{nobody}/upgrade-tier", token=sa, json={"tier": "custom"}), 404)
    _problem(api.get("/clients/nope", token=sa), 400, "/path/id")
    # getClients: a one-item page of one's own client; filters still apply; include_deleted is super_admin's.
    mine = api.get("/clients", token=user).json()
    assert [c["id"] for c in mine["items"]] == [cid] and mine["next_cursor"] is None
    assert api.get("/clients", token=user, params={"tier": "basic"}).json()["items"] == []
    _problem(api.get("/clients", token=admin, params={"include_deleted": "true"}), 403, "/query/include_deleted")


def test_admin_changes_only_profile_fields(api, tenant):
    cid, admin = tenant["client"]["id"], tenant["admin"]
    ok = api.patch(f"/clients/{cid}", token=admin, json={"website": "https://gym.example", "tags": ["a", "b"]})
    assert ok.status_code == 200 and ok.json()["tags"] == ["a", "b"], ok.text
    for field, value in (("subscription_tier", "custom"), ("status", "suspended"), ("contract_start", 1),
                         ("contract_end", 2), ("monthly_spend_limit", 5)):
        r = api.patch(f"/clients/{cid}", token=admin, json={"notes": "x", field: value})
        _problem(r, 403, f"/body/{field}")
    _problem(api.patch(f"/clients/{cid}", token=admin, json={"total_revenue": 1}), 400, "/body/total_revenue")


# --- concurrency -------------------------------------------------------------------------------------
def _both(fn_a, fn_b) -> list:
    answers: list = [None, None]
    start = threading.Barrier(2)

    def run(i, fn):
        start.wait()
        answers[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate((fn_a, fn_b))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return answers


def test_if_match_and_concurrent_patches(api, sa):
    made = _new_client(api, sa)
    url = f"/clients/{made['id']}"
    _problem(api.patch(url, token=sa, json={"notes": "x"}, headers={"if-match": '"7"'}), 412, "/headers/if-match")
    same = _both(lambda: api.patch(url, token=sa, json={"notes": "a"}, headers={"if-match": '"1"'}),
                 lambda: api.patch(url, token=sa, json={"industry": "b"}, headers={"if-match": '"1"'}))
    assert sorted(r.status_code for r in same) == [200, 412], [r.text for r in same]
    free = _both(lambda: api.patch(url, token=sa, json={"address": "1 Main St"}),
                 lambda: api.patch(url, token=sa, json={"tax_id": "TX-1"}))
    assert [r.status_code for r in free] == [200, 200], [r.text for r in free]
    final = api.get(url, token=sa).json()
    assert final["address"] == "1 Main St" and final["tax_id"] == "TX-1" and final["version"] == 4


# --- lists, tiers, search, stats, expiring contracts, upgrades ---------------------------------------
def test_lists_tiers_search_and_stats(api, sa):
    before = api.get("/clients/stats", token=sa).json()
    word = f"Quokka{new_id()[-6:]}"
    made = [_new_client(api, sa, name=f"Émeraude {word} {i}", subscription_tier=t, company_size="1-10")
            for i, t in enumerate(("basic", "enterprise", "enterprise"))]
    # Newest first, pages of 2 joined by their cursors: ours in the order made (other tests' clients,
    # some stamped on a clock moved forward, may stand before them), none skipped or repeated.
    seen, cursor = [], None
    while True:
        page = api.get("/clients", token=sa, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) == 2 or not page["next_cursor"], page
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in {m["id"] for m in made}] == [made[2]["id"], made[1]["id"], made[0]["id"]]
    enterprise = api.get("/clients/by-tier/enterprise", token=sa, params={"limit": 200}).json()["items"]
    assert {made[1]["id"], made[2]["id"]} <= {c["id"] for c in enterprise}
    assert all(c["subscription_tier"] == "enterprise" for c in enterprise)
    suspended = api.get("/clients", token=sa, params={"status": "suspended"}).json()["items"]
    assert all(c["status"] == "suspended" for c in suspended)

    def found():
        hits = api.get("/clients/search", token=sa, params={"q": f"emeraude {word.lower()}"}).json()["items"]
        return {c["id"] for c in hits} == {c["id"] for c in made}

    eventually(found)  # tokens come through the stream; accents and case ignored

    def counted():
        after = api.get("/clients/stats", token=sa).json()
        grew = after["by_tier"].get("enterprise", 0) - before["by_tier"].get("enterprise", 0) == 2
        return grew and after

    after = eventually(counted)  # (only this test makes enterprise or 1-10 clients: exact whatever else is in flight)
    assert after["by_company_size"]["1-10"] - before["by_company_size"].get("1-10", 0) == 3
    assert after["total"] >= before["total"] + 3
    api.delete(f"/clients/{made[1]['id']}", token=sa)
    eventually(lambda: api.get("/clients/stats", token=sa).json()["by_tier"]["enterprise"]
          == after["by_tier"]["enterprise"] - 1)
    eventually(lambda: made[1]["id"] not in {c["id"] for c in api.get(
        "/clients/search", token=sa, params={"q": word}).json()["items"]})


def test_expiring_contracts_is_a_range_on_contract_end(api, sa):
    now = clock.now_ms()
    soon = _new_client(api, sa, contract_start=now - DAY_MS, contract_end=now + 10 * DAY_MS)
    later = _new_client(api, sa, contract_end=now + 40 * DAY_MS)
    past = _new_client(api, sa, contract_end=now - DAY_MS)

    def ids(days=None):
        params = {"limit": 200, **({"days": days} if days else {})}
        r = api.get("/clients/expiring-contracts", token=sa, params=params)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [c["contract_end"] for c in items] == sorted(c["contract_end"] for c in items)  # soonest first
        return {c["id"] for c in items}

    assert soon["id"] in ids() and later["id"] not in ids() and past["id"] not in ids()
    assert later["id"] in ids(60)
    # The index key follows the field: a new contract_end moves it, a delete removes it.
    moved = api.patch(f"/clients/{later['id']}", token=sa, json={"contract_end": now + 5 * DAY_MS})
    assert moved.status_code == 200, moved.text
    assert later["id"] in ids()
    api.patch(f"/clients/{soon['id']}", token=sa, json={"contract_end": None})
    assert api.delete(f"/clients/{later['id']}", token=sa).status_code == 204
    assert not {soon["id"], later["id"]} & ids(60)


def test_upgrade_tier_only_upwards(api, sa, tenant):
    made = _new_client(api, sa)
    url = f"/clients/{made['id']}/upgrade-tier"
    up = api.post(url, token=sa, json={"tier": "premium"})
    assert up.status_code == 200 and up.json()["subscription_tier"] == "premium" and up.json()["version"] == 2
    _problem(api.post(url, token=sa, json={"tier": "basic"}), 409, "/body/tier")
    _problem(api.post(url, token=sa, json={"tier": "premium"}), 409, "/body/tier")
    _problem(api.post(url, token=sa, json={"tier": "custom"}, headers={"if-match": '"1"'}), 412)
    assert api.post(url, token=sa, json={"tier": "custom"}, headers={"if-match": '"2"'}).status_code == 200
    # The tier index moved with the field (GSI2 keys are derived, and updated with it).
    listed = lambda tier: {c["id"] for c in api.get(f"/clients/by-tier/{tier}", token=sa,  # noqa: E731
                                                    params={"limit": 200}).json()["items"]}
    assert made["id"] in listed("custom") and made["id"] not in listed("basic") | listed("premium")
    activity = api.get(f"/clients/{made['id']}/activity", token=sa).json()["items"]
    assert [a["operation"] for a in activity[:3]] == ["upgradeClientTier", "upgradeClientTier", "createClient"]
    assert activity[0]["changes"]["subscription_tier"] == {"before": "premium", "after": "custom"}


def test_bulk_update_reports_each_item(api, sa, tenant):
    cid, other = tenant["client"]["id"], tenant["other"]["id"]
    current = api.get(f"/clients/{cid}", token=tenant["admin"]).json()["version"]
    r = api.patch("/clients/bulk", token=tenant["admin"], json={"updates": [
        {"id": cid, "changes": {"industry": "yoga"}},
        {"id": other, "changes": {"industry": "yoga"}},
        {"id": cid, "changes": {"status": "inactive"}},
        {"id": cid, "version": current, "changes": {"industry": "pilates"}},  # stale: the first item moved it on
    ]})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == [200, 404, 403, 412]
    assert r.json()["succeeded"] == 1 and r.json()["failed"] == 3
    assert r.json()["results"][2]["error"]["field"] == "/body/status"
    done = api.patch("/clients/bulk", token=sa, json={"updates": [{"id": other, "changes": {"status": "trial"}}]})
    assert done.json()["results"][0]["status"] == 200


def test_activity_newest_first_and_a_user_sees_its_own(api, sa, tenant):
    cid, me = tenant["client"]["id"], tenant["users"]["user"]["id"]
    assert api.patch(f"/users/{me}", token=tenant["user"], json={"timezone": "Asia/Tokyo"}).status_code == 200
    api.patch(f"/clients/{cid}", token=tenant["admin"], json={"notes": f"note {new_id()}"})
    seen = api.get(f"/clients/{cid}/activity", token=tenant["manager"], params={"limit": 200}).json()["items"]
    assert seen[0]["operation"] == "updateClient" and seen[0]["actor_id"] == tenant["users"]["admin"]["id"]
    assert [a["at"] for a in seen] == sorted((a["at"] for a in seen), reverse=True)
    assert any(a["operation"] == "createClient" and a["entity_id"] == cid for a in seen)
    assert all(a["changes"].get("password_hash", {}).get("after") in (None, "[redacted]") for a in seen)
    only_clients = api.get(f"/clients/{cid}/activity", token=sa, params={"entity_type": "client"}).json()["items"]
    assert only_clients and {a["entity_type"] for a in only_clients} == {"client"}
    mine = api.get(f"/clients/{cid}/activity", token=tenant["user"]).json()["items"]
    assert mine and all(a["actor_id"] == me for a in mine)
    assert mine[0]["operation"] == "updateUser" and mine[0]["changes"]["timezone"]["after"] == "Asia/Tokyo"


# --- revenue and usage, fed through the stream projections ------------------------------------------
def _put(local, item: dict) -> None:
    """A transaction- or communication-shaped item written as the billing and messaging domains will."""
    def attr(v):
        return {"N": str(v)} if isinstance(v, int | Decimal) else {"S": v}

    ddb = local.aws.client("dynamodb")
    ddb.put_item(TableName=local.aws.names["Table"], Item={k: attr(v) for k, v in item.items() if v is not None})


def _txn(cid, amount, kind="charge", status="completed", at=None, version=1, tid=None, currency="USD"):
    tid = tid or new_id()
    return {"PK": f"T#{cid}#TRANSACTION#{tid}", "SK": "TRANSACTION", "entity": "TRANSACTION", "id": tid,
            "client_id": cid, "transaction_id": f"tx-{tid}", "amount": Decimal(amount), "currency": currency, "type": kind,
            "status": status, "processed_at": at or clock.now_ms(), "created_at": at or clock.now_ms(),
            "updated_at": clock.now_ms(), "version": version}


def _message(cid, channel, status, cost=None, version=1, mid=None):
    mid = mid or new_id()
    return {"PK": f"T#{cid}#COMM#{mid}", "SK": "COMM", "entity": "COMM", "id": mid,
            "client_id": cid, "channel": channel, "direction": "outbound", "content": "hi", "status": status,
            "provider": "twilio", "cost": Decimal(cost) if cost else None, "sent_at": clock.now_ms(), "created_at": clock.now_ms(),
            "updated_at": clock.now_ms(), "version": version}


def _this_and_last_month() -> tuple[str, str, int]:
    now = datetime.fromtimestamp(clock.now_ms() / 1000, UTC)
    start = int(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
    last = start - DAY_MS
    return now.strftime("%Y-%m"), datetime.fromtimestamp(last / 1000, UTC).strftime("%Y-%m"), last


def test_revenue_sums_completed_transactions_net_of_refunds(api, local, tenant):
    cid, other = tenant["client"]["id"], tenant["other"]["id"]
    this_month, last_month, last_ms = _this_and_last_month()
    pending = _txn(cid, "50.00", status="pending")
    for item in (_txn(cid, "100.10"), _txn(cid, "25.05"), _txn(cid, "10.01", kind="refund"), pending,
                 _txn(cid, "5", at=last_ms), _txn(cid, "7.5", currency="EUR"), _txn(cid, "3", status="failed"),
                 _txn(other, "999.99")):
        _put(local, item)
    _put(local, {**pending, "status": "completed", "version": 2})  # the status change moves it into the sums

    def summed():
        r = api.get(f"/clients/{cid}/revenue", token=tenant["manager"])
        assert r.status_code == 200, r.text
        usd, eur = (r.json()["totals"].get(c, {}) for c in ("USD", "EUR"))
        # Every record counted, not only the USD ones: a record retried by the stream consumer (a
        # transaction conflict on a counter) may come after the later ones of its batch.
        return usd.get("net") == 170.14 and usd.get("charges") == 4 and eur.get("net") == 7.5 and r.json()

    answer = eventually(summed)
    months = {m["month"]: m["by_currency"] for m in answer["months"]}
    assert len(answer["months"]) == 12 and answer["months"][-1]["month"] == this_month
    assert months[this_month]["USD"] == {"gross": 175.15, "refunds": 10.01, "chargebacks": 0, "net": 165.14,
                                         "charges": 3, "refund_count": 1}
    assert months[last_month]["USD"]["gross"] == 5 and months[this_month]["EUR"]["net"] == 7.5
    assert answer["all_time"]["USD"]["net"] == 170.14
    # Exact decimals in the JSON text, not binary floats.
    raw = api.get(f"/clients/{cid}/revenue", token=tenant["admin"], params={"months": 1}).text
    assert json.loads(raw, parse_float=Decimal)["totals"]["USD"]["gross"] == Decimal("175.15")
    other_view = api.get(f"/clients/{other}/revenue", token=tenant["other_admin"]).json()
    assert other_view["totals"]["USD"]["gross"] == 999.99


def test_usage_counts_sent_messages_and_cost_against_the_limit(api, local, tenant):
    cid = tenant["client"]["id"]  # monthly_spend_limit 10
    queued = _message(cid, "sms", "queued")
    for item in (_message(cid, "sms", "delivered", "0.0079"), _message(cid, "sms", "sent", "0.0079"),
                 _message(cid, "email", "delivered", "0.001"), _message(cid, "sms", "failed", "0.0079"), queued,
                 _message(tenant["other"]["id"], "sms", "sent", "5")):
        _put(local, item)
    _put(local, {**queued, "status": "sent", "cost": Decimal("9.99"), "version": 2})
    # One recorded through the API, as every communication is written: the counter reads the real item.
    r = api.post("/communications/log-sms", token=tenant["manager"], params={"client_id": cid},
                 json={"to_number": "+14155550111", "content": "logged", "cost": "0.5"})
    assert r.status_code == 201, r.text

    def counted():
        r = api.get(f"/clients/{cid}/usage", token=tenant["manager"])
        assert r.status_code == 200, r.text
        return r.json()["total_messages"] == 5 and r.json()

    usage = eventually(counted)
    assert usage["channels"] == {"email": {"messages": 1, "cost": 0.001}, "sms": {"messages": 4, "cost": 10.5058}}
    assert usage["total_cost"] == 10.5068 and usage["monthly_spend_limit"] == 10
    assert usage["over_limit"] is True and usage["remaining"] == 0 and usage["percent_used"] == 105.07
    empty = api.get(f"/clients/{cid}/usage", token=tenant["admin"], params={"month": "2001-01"}).json()
    assert empty["total_messages"] == 0 and empty["over_limit"] is False


def test_stats_revenue_and_usage_read_a_fixed_number_of_items(local, tenant):
    """O(1): counter items only, whatever the data size (counted in-process, like `echelonx bench`)."""
    from shared.local.bench_common import counting
    from shared.local.sample_events import SUPER, api_event

    cid = tenant["client"]["id"]
    admin = {**SUPER, "user_id": tenant["users"]["admin"]["id"], "role": "admin", "client_id": cid}
    for function, route, path, query, auth in (
            ("GetClientStatsFunction", "GET /clients/stats", {}, {}, SUPER),
            ("GetClientRevenueFunction", "GET /clients/{id}/revenue", {"id": cid}, {"months": "36"}, admin),
            ("GetClientUsageFunction", "GET /clients/{id}/usage", {"id": cid}, {}, admin)):
        with counting() as tally:
            answer = local.functions[function].invoke(api_event(route, path, query, None, auth))
        calls = tally.calls
        assert answer["statusCode"] == 200, answer
        assert sum(calls.values()) <= 2 and not calls["Scan"] and not calls["Query"], (function, calls)


# --- export --------------------------------------------------------------------------------------------
def _finished_job(api, token, href):
    def done():
        job = api.get(href, token=token).json()
        assert job["status"] in ("queued", "running", "completed"), job
        return job["status"] == "completed" and job

    return eventually(done, 20)


def test_export_streams_the_tenants_data_as_json_lines(api, tenant):
    cid, admin = tenant["client"]["id"], tenant["admin"]
    started = api.post(f"/clients/{cid}/export", token=admin)
    assert started.status_code == 202, started.text
    job = _finished_job(api, admin, started.json()["href"])
    assert job["items_written"] >= 5 and job["parts"] == 1 and job["url_expires_in"] == 900
    download = requests.get(job["download_url"], timeout=10)
    assert download.status_code == 200, download.text
    rows = [json.loads(line) for line in download.text.splitlines()]
    assert len(rows) == job["items_written"] and len(download.content) == job["bytes_written"]
    by_type: dict = {}
    for row in rows:
        by_type.setdefault(row["type"], []).append(row["data"])
    assert [c["id"] for c in by_type["client"]] == [cid]
    tenant_users = {tenant["users"][r]["id"] for r in ("admin", "manager", "user")}
    assert {u["id"] for u in by_type["user"]} == tenant_users
    assert all("password_hash" not in u for u in by_type["user"])
    assert any(a["operation"] == "createClient" for a in by_type["audit"])
    text = download.text
    assert tenant["other"]["id"] not in text and tenant["users"]["other_admin"]["email"] not in text
    # Someone else's export is not even there; the job item answers only its own tenant.
    _problem(api.get(f"/clients/{tenant['other']['id']}/exports/{job['job_id']}", token=tenant["other_admin"]), 404)


def test_multipart_upload_holds_one_part_at_most(local):

    from shared.core import aws
    from shared.exports.worker import PART_SIZE, MultipartUpload

    s3, bucket, key = aws.client("s3"), local.aws.names["ExportBucket"], f"tests/{new_id()}.jsonl"
    upload = MultipartUpload.begin(s3, bucket, key)
    line = (json.dumps({"pad": "x" * 1000}) + "\n").encode()
    count = (2 * PART_SIZE + PART_SIZE // 5) // len(line)
    for _ in range(count):
        upload.write(line)
    upload.complete()
    assert len(upload.parts) == 3 and upload.max_buffered < PART_SIZE + len(line)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert len(body) == count * len(line) and body.count(b"\n") == count


class _ShortLambda:
    """A Lambda context nearly out of time: the worker stops after its first part."""

    aws_request_id = "short-lived-invocation"

    def get_remaining_time_in_millis(self) -> int:
        return 1000


def test_a_long_export_resumes_from_its_checkpoint(api, local, sa):
    from shared.audit import AuditEntry
    from shared.exports import service as exports
    from shared.exports import store as export_jobs
    from shared.exports import worker as export_worker

    client = _new_client(api, sa)
    padding = json.dumps({"notes": {"before": None, "after": "y" * 100_000}})
    for i in range(60):  # ~6 MB of audit entries: more than one part
        AuditEntry(id=new_id(), client_id=client["id"], entity_type="client", entity_id=client["id"],
                   operation="padding", changes=padding, at=f"{clock.now_ms() + i:015d}").save()
    job_id = exports.create_job(_actor_super(), client["id"]).id  # not queued: this test runs it by hand
    assert export_worker.run(client["id"], job_id, _ShortLambda()) == "continued"
    halfway = export_jobs.load(client["id"], job_id)
    assert halfway.part_count == 1 and halfway.checkpoint["source"] == "audit" and halfway.items_written > 1
    job = _finished_job(api, sa, f"/clients/{client['id']}/exports/{job_id}")  # the re-queued message finishes it
    assert job["parts"] == 2
    rows = [json.loads(line) for line in requests.get(job["download_url"], timeout=30).text.splitlines()]
    padded = [r["data"]["id"] for r in rows if r["type"] == "audit" and r["data"]["operation"] == "padding"]
    assert len(padded) == len(set(padded)) == 60 and len(rows) == job["items_written"]


class _LongLambda:
    """A Lambda context with all the time it needs: the worker finishes in one invocation."""

    aws_request_id = "long-lived-invocation"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def test_a_domains_export_source_is_exported_without_being_listed(api, local, sa, monkeypatch):
    import sys
    from pathlib import Path

    import shared
    from shared.db import export
    from shared.exports import service as exports
    from shared.exports import worker as export_worker

    monkeypatch.setattr(shared, "__path__", [*shared.__path__, str(Path(__file__).parents[1] / "fixtures" / "domains")])
    monkeypatch.setattr(export, "_found", None)  # found again, with the domain no code names
    try:
        from shared.gadgets.models import Gadget  # only to write the test's data

        client = _new_client(api, sa)
        for colour in ("teal", "ochre"):
            Gadget(id=new_id(), client_id=client["id"], colour=colour).save()
        kept, _ = _staff(api, sa, client["id"], "manager")
        gone, _ = _staff(api, sa, client["id"], "user")
        assert api.delete(f"/users/{gone['id']}", token=sa, params={"client_id": client["id"]}).status_code == 204
        job_id = exports.create_job(_actor_super(), client["id"]).id
        assert export_worker.run(client["id"], job_id, _LongLambda()) == "completed"
        job = api.get(f"/clients/{client['id']}/exports/{job_id}", token=sa).json()
        rows = [json.loads(line) for line in requests.get(job["download_url"], timeout=10).text.splitlines()]
    finally:
        for name in [m for m in sys.modules if m == "shared.gadgets" or m.startswith("shared.gadgets.")]:
            del sys.modules[name]
    kinds = [r["type"] for r in rows]
    # The tenant's record first, the audit log last, each domain's lines together in between.
    assert list(dict.fromkeys(kinds)) == ["client", "gadget", "user", "audit"], kinds
    assert sorted(r["data"]["colour"] for r in rows if r["type"] == "gadget") == ["ochre", "teal"]
    assert all(set(r["data"]) == {"id", "client_id", "colour", "version"} for r in rows if r["type"] == "gadget")
    # Users from both of their list partitions: the soft-deleted one is in its own.
    users = {r["data"]["id"]: r["data"] for r in rows if r["type"] == "user"}
    assert set(users) == {kept["id"], gone["id"]} and users[gone["id"]]["deleted_at"] and "deleted_at" not in users[kept["id"]]
    assert not any("password_hash" in u or "email_verification_token" in u for u in users.values())


def _actor_super():
    from shared.core.actor import Actor, Scope

    return Scope(Actor(user_id="test-super", role="super_admin", tenant=None), None)


# --- suspension --------------------------------------------------------------------------------------
def test_suspending_a_client_stops_its_users(api, sa):
    client = _new_client(api, sa)
    user, token = _staff(api, sa, client["id"], "user")
    assert api.get(f"/clients/{client['id']}", token=token).status_code == 200
    r = api.patch(f"/clients/{client['id']}", token=sa, json={"status": "suspended"})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    assert _problem(_login(api, user["email"]), 403)["detail"].endswith("suspended")  # at once
    clock.advance(61)  # past the authorizer's cache
    denied = api.get(f"/clients/{client['id']}", token=token)
    assert denied.status_code == 403 and denied.json() == {"message": "Forbidden"}
    assert api.patch(f"/clients/{client['id']}", token=sa, json={"status": "active"}).status_code == 200
    assert _login(api, user["email"]).status_code == 200

