"""The rights table of entities.md, as a test.

EXPECTED is written from entities.md ("Tenancy and roles" and the rights table), not from the
code's role declarations. Every operation × every role × {own tenant, a peer in it, another tenant,
a near-miss tenant id}: 404 across tenants, 403 where the role may never act, and no 2xx the table
does not allow. The matrix is printed.
"""

from __future__ import annotations

import pytest

from shared.ids import new_id
from shared.local.seed import STAFF_PASSWORD

ROLES = ("super_admin", "admin", "manager", "user")
TARGETS = ("own", "peer", "other", "near")
A, OWN, X = "allow", "own-only", "forbid"  # own-only: the caller's own record, nothing else

# From entities.md: users — admin R W (not super_admins), manager R, user R own + W own profile;
# audit/activity — admin R tenant, manager R tenant, user R own; super_admin everything everywhere.
EXPECTED = {
    #  operation              super_admin admin manager user
    "getUsers":              (A, A, A, X),
    "getUserById":           (A, A, A, OWN),
    "getUserByEmail":        (A, A, A, X),
    "createUser":            (A, A, X, X),
    "updateUser":            (A, A, OWN, OWN),
    "deleteUser":            (A, A, X, X),
    "getUserStats":          (A, A, A, X),
    "getUsersByRole":        (A, A, A, X),
    "searchUsers":           (A, A, A, X),
    "bulkUpdateUsers":       (A, A, X, X),
    "getUserActivity":       (A, A, A, OWN),
    "getUserPermissions":    (A, A, A, OWN),
    # clients (own tenant): admin R + W profile fields, manager R, user R; tier, status, contract,
    # creation, deletion and the cross-tenant views are super_admin's; exports: admin A only;
    # revenue and usage are billing reads (manager R, user –).
    "getClients":            (A, A, A, A),
    "getClientById":         (A, A, A, A),
    "createClient":          (A, X, X, X),
    "updateClient":          (A, A, X, X),
    "deleteClient":          (A, X, X, X),
    "getClientStats":        (A, X, X, X),
    "getClientsByTier":      (A, X, X, X),
    "searchClients":         (A, X, X, X),
    "getClientRevenue":      (A, A, A, X),
    "bulkUpdateClients":     (A, A, X, X),
    "getClientActivity":     (A, A, A, A),
    "getExpiringContracts":  (A, X, X, X),
    "upgradeClientTier":     (A, X, X, X),
    "getClientUsage":        (A, A, A, X),
    "exportClientData":      (A, A, X, X),
    "getExportJob":          (A, A, X, X),
}
CLIENT_OPS = set(list(EXPECTED)[list(EXPECTED).index("getClients"):])
# Operations that name no tenant: what they show is the caller's own scope whatever the target.
TENANTLESS = {"getClients", "createClient", "getClientStats", "getClientsByTier", "searchClients",
              "getExpiringContracts"}


def near_miss(client_id: str) -> str:
    return client_id[:-1] + ("A" if client_id[-1] != "A" else "B")


@pytest.fixture(scope="module")
def world(api, local):
    """Tenant A (the seeded demo) and tenant B, each with staff of every role."""
    from shared.clients import store as clients
    from shared.local.seed import _user
    from shared.users import store as users

    a = local.logins["client_id"]
    b = clients.create(clients.Client(id=new_id(), name=f"Other Co {new_id()}", status="active",
                                      subscription_tier="basic", created_by="test")).id
    staff = {}
    for tenant in (a, b):
        for role in ("admin", "manager", "user"):
            u = users.create(_user(tenant, role, f"{role}-{new_id().lower()}@rights.test", STAFF_PASSWORD, "R", role))
            staff[(tenant, role)] = u
    tokens = {"super_admin": api.post("/auth/login", json={
        "email": local.logins["super_admin"]["email"], "password": local.logins["super_admin"]["password"]}).json()}
    for role in ("admin", "manager", "user"):
        tokens[role] = api.post("/auth/login", json={"email": staff[(a, role)].email, "password": STAFF_PASSWORD}).json()
    jobs = {}
    for tenant in (a, b):
        r = api.post(f"/clients/{tenant}/export", token=tokens["super_admin"]["access_token"])
        assert r.status_code == 202, r.text
        jobs[tenant] = r.json()["job_id"]
    return {"a": a, "b": b, "staff": staff, "tokens": tokens, "jobs": jobs}


def _victim(tenant: str) -> str:
    from shared.users import store as users

    return users.create(users.User(id=new_id(), client_id=tenant, email=f"v-{new_id().lower()}@rights.test",
                                   role="user", status="active")).id


def _subject(world, role: str, target: str) -> tuple[str, str]:
    """(tenant to name, user id to act on) for a target kind, from the caller's point of view."""
    a, b = world["a"], world["b"]
    me = world["tokens"][role]["user"]["id"]
    if target == "own":
        return a, me
    if target == "peer":
        return a, world["staff"][(a, "user" if role != "user" else "manager")].id
    if target == "other":
        return b, world["staff"][(b, "user")].id
    return near_miss(a), world["staff"][(a, "user")].id


def _client_request(op: str, role: str, target: str, world):
    a, b = world["a"], world["b"]
    cid = {"own": a, "peer": a, "other": b, "near": near_miss(a)}[target]
    if op in ("deleteClient", "upgradeClientTier") and role == "super_admin" and target != "near":
        cid = _spare_client()  # never delete or re-tier the tenants the matrix runs in
    job = world["jobs"].get(cid, "01JNOJOB000000000000000000")
    return {
        "getClients": ("GET", "/clients", {}, None),
        "getClientById": ("GET", f"/clients/{cid}", {}, None),
        "createClient": ("POST", "/clients", {}, {"name": f"Matrix {new_id()}", "subscription_tier": "basic"}),
        "updateClient": ("PATCH", f"/clients/{cid}", {}, {"notes": "checked by the rights matrix"}),
        "deleteClient": ("DELETE", f"/clients/{cid}", {}, None),
        "getClientStats": ("GET", "/clients/stats", {}, None),
        "getClientsByTier": ("GET", "/clients/by-tier/basic", {}, None),
        "searchClients": ("GET", "/clients/search", {"q": "other"}, None),
        "getClientRevenue": ("GET", f"/clients/{cid}/revenue", {}, None),
        "bulkUpdateClients": ("PATCH", "/clients/bulk", {}, {"updates": [{"id": cid, "changes": {"notes": "bulk"}}]}),
        "getClientActivity": ("GET", f"/clients/{cid}/activity", {}, None),
        "getExpiringContracts": ("GET", "/clients/expiring-contracts", {}, None),
        "upgradeClientTier": ("POST", f"/clients/{cid}/upgrade-tier", {}, {"tier": "premium"}),
        "getClientUsage": ("GET", f"/clients/{cid}/usage", {}, None),
        "exportClientData": ("POST", f"/clients/{cid}/export", {}, None),
        "getExportJob": ("GET", f"/clients/{cid}/exports/{job}", {}, None),
    }[op]


def _spare_client() -> str:
    from shared.clients import store as clients

    return clients.create(clients.Client(id=new_id(), name=f"Spare {new_id()}", status="active",
                                         subscription_tier="basic", created_by="test")).id


def _request(op: str, role: str, target: str, world) -> tuple[str, str, dict, dict | None]:
    if op in CLIENT_OPS:
        return _client_request(op, role, target, world)
    tenant, uid = _subject(world, role, target)
    q = {"client_id": tenant}
    if op in ("deleteUser", "updateUser", "bulkUpdateUsers") and target != "own":
        uid = _victim(tenant) if target in ("peer", "other") else uid
    requests = {
        "getUsers": ("GET", "/users", q, None),
        "getUserById": ("GET", f"/users/{uid}", q, None),
        "getUserByEmail": ("GET", "/users/by-email", {**q, "email": _email_of(world, tenant, uid)}, None),
        "createUser": ("POST", "/users", {}, {"email": f"c-{new_id().lower()}@rights.test", "role": "user",
                                             "client_id": tenant}),
        "updateUser": ("PATCH", f"/users/{uid}", q, {"language": "it"}),
        "deleteUser": ("DELETE", f"/users/{_victim(world['a']) if target == 'own' else uid}", q, None),
        "getUserStats": ("GET", "/users/stats", q, None),
        "getUsersByRole": ("GET", "/users/by-role/user", q, None),
        "searchUsers": ("GET", "/users/search", {**q, "q": "rights"}, None),
        "bulkUpdateUsers": ("PATCH", "/users/bulk", q, {"updates": [{"id": uid, "changes": {"language": "it"}}]}),
        "getUserActivity": ("GET", f"/users/{uid}/activity", q, None),
        "getUserPermissions": ("GET", f"/users/{uid}/permissions", q, None),
    }
    return requests[op]


def _email_of(world, tenant: str, uid: str) -> str:
    for u in world["staff"].values():
        if u.id == uid:
            return u.email
    return world["tokens"]["super_admin"]["user"]["email"] if tenant else "nobody@rights.test"


def _expected(rule: str, role: str, target: str, op: str) -> set[int]:
    ok = {200, 201, 202, 204}
    if rule == X:
        return {403}
    if op in TENANTLESS:
        return ok
    if target == "near":
        return {404}
    if target == "other":
        return ok if role == "super_admin" else {404}
    if rule == OWN and target == "peer":
        return {403, 404}  # not theirs: refused without telling whether it exists
    if role == "super_admin" and target == "own" and op in ("getUserById", "getUserActivity", "getUserPermissions",
                                                            "updateUser", "getUserByEmail", "bulkUpdateUsers"):
        return {404}  # the super_admin's own record is not in tenant A, which it named
    return ok


def test_rights_matrix(api, world, capsys):
    rows, failures = [], []
    for op, rules in EXPECTED.items():
        row = [op]
        for role, rule in zip(ROLES, rules, strict=True):
            for target in TARGETS:
                method, path, params, body = _request(op, role, target, world)
                r = getattr(api, method.lower())(path, token=world["tokens"][role]["access_token"],
                                                 params=params, json=body)
                status = r.status_code
                if op in ("bulkUpdateUsers", "bulkUpdateClients") and status == 200:
                    status = r.json()["results"][0]["status"]  # the item's own outcome
                row.append(str(status))
                if status not in _expected(rule, role, target, op):
                    failures.append(f"{op} as {role} on {target}: {status} {r.text[:200]}")
        rows.append(row)
    header = ["operation"] + [f"{r[:5]}:{t}" for r in ROLES for t in TARGETS]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    with capsys.disabled():
        print()
        for line in [header, *rows]:
            print("  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)))
    assert not failures, "\n".join(failures)
