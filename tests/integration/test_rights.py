"""The rights table of entities.md, as a test.

EXPECTED is written by hand from entities.md ("Tenancy and roles" and the rights table), not from
the code's grant table. Every operation the decorators declare (public ones aside) must have a row:
a new operation without one fails here. Each row says who may do it and what it acts on; the route
comes from the decorator. Every operation × every role × {own tenant, a peer in it, another
tenant, a near-miss tenant id}: 404 across tenants, 403 where the role may never act, and no 2xx
the table does not allow. The matrix is printed.

A new domain adds rows here, and a subject factory for its entity in SUBJECTS.
"""

from __future__ import annotations

import re

import pytest

from shared.ids import new_id
from shared.local.seed import STAFF_PASSWORD

ROLES = ("super_admin", "admin", "manager", "user")
TARGETS = ("own", "peer", "other", "near")
A, OWN, X = "allow", "own-only", "forbid"  # own-only: the caller's own record, nothing else

# operation: ((super_admin, admin, manager, user), subject the path's {id} names, query, body).
# From entities.md: users — admin R W (not super_admins), manager R, user R own + W own profile;
# audit/activity — admin R tenant, manager R tenant, user R own; super_admin everything everywhere.
# Subjects: "user" (the caller itself, a peer, another tenant's user), "victim" (a fresh user to
# change or delete), "client" (the tenant itself), "spare" (a fresh client a super_admin may close).
EXPECTED = {
    "getUsers":              ((A, A, A, X), None, {}, None),
    "getUserById":           ((A, A, A, OWN), "user", {}, None),
    "getUserByEmail":        ((A, A, A, X), None, {"email": "{email}"}, None),
    "createUser":            ((A, A, X, X), None, {}, {"email": "c-{run}@rights.test", "role": "user"}),
    "updateUser":            ((A, A, OWN, OWN), "victim", {}, {"language": "it"}),
    "deleteUser":            ((A, A, X, X), "victim", {}, None),
    "getUserStats":          ((A, A, A, X), None, {}, None),
    "getUsersByRole":        ((A, A, A, X), None, {}, None),
    "searchUsers":           ((A, A, A, X), None, {"q": "rights"}, None),
    "bulkUpdateUsers":       ((A, A, X, X), "victim", {}, {"updates": [{"id": "{id}", "changes": {"language": "it"}}]}),
    "getUserActivity":       ((A, A, A, OWN), "user", {}, None),
    "getUserPermissions":    ((A, A, A, OWN), "user", {}, None),
    "enableTwoFactor":       ((OWN, OWN, OWN, OWN), "user", {}, None),
    "confirmTwoFactor":      ((OWN, OWN, OWN, OWN), "user", {}, {"code": "000000"}),
    # clients (own tenant): admin R + W profile fields, manager R, user R; tier, status, contract,
    # creation, deletion and the cross-tenant views are super_admin's; exports: admin A only;
    # revenue and usage are billing reads (manager R, user –).
    "getClients":            ((A, A, A, A), None, {}, None),
    "getClientById":         ((A, A, A, A), "client", {}, None),
    "createClient":          ((A, X, X, X), None, {}, {"name": "Matrix {run}", "subscription_tier": "basic"}),
    "updateClient":          ((A, A, X, X), "client", {}, {"notes": "checked by the rights matrix"}),
    "deleteClient":          ((A, X, X, X), "spare", {}, None),
    "getClientStats":        ((A, X, X, X), None, {}, None),
    "getClientsByTier":      ((A, X, X, X), None, {}, None),
    "searchClients":         ((A, X, X, X), None, {"q": "other"}, None),
    "getClientRevenue":      ((A, A, A, X), "client", {}, None),
    "bulkUpdateClients":     ((A, A, X, X), "client", {}, {"updates": [{"id": "{id}", "changes": {"notes": "bulk"}}]}),
    "getClientActivity":     ((A, A, A, A), "client", {}, None),
    "getExpiringContracts":  ((A, X, X, X), None, {}, None),
    "upgradeClientTier":     ((A, X, X, X), "spare", {}, {"tier": "premium"}),
    "getClientUsage":        ((A, A, A, X), "client", {}, None),
    "exportClientData":      ((A, A, X, X), "client", {}, None),
    "getExportJob":          ((A, A, X, X), "client", {}, None),
}
# Operations that name no tenant: what they show is the caller's own scope whatever the target.
TENANTLESS = {"getClients", "createClient", "getClientStats", "getClientsByTier", "searchClients",
              "getExpiringContracts"}
# The super_admin's own record is not in tenant A, which it names: acting on "own" finds nothing.
SUPER_OWN_NOT_IN_TENANT = {"getUserById", "getUserActivity", "getUserPermissions", "updateUser", "getUserByEmail",
                           "bulkUpdateUsers", "enableTwoFactor", "confirmTwoFactor"}


def near_miss(client_id: str) -> str:
    return client_id[:-1] + ("A" if client_id[-1] != "A" else "B")


def _operations() -> dict:
    from shared.local.functions import discover

    return {f.spec.name: f.spec for f in discover() if f.spec.kind == "api" and f.spec.permission is not None}


def test_every_operation_has_a_row():
    """A new operation without a row in the hand-written table fails here, not silently."""
    declared = _operations()
    assert sorted(set(declared) - set(EXPECTED)) == [], "operations with no row in EXPECTED"
    assert sorted(set(EXPECTED) - set(declared)) == [], "rows for operations that do not exist"


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


def _spare_client() -> str:
    from shared.clients import store as clients

    return clients.create(clients.Client(id=new_id(), name=f"Spare {new_id()}", status="active",
                                         subscription_tier="basic", created_by="test")).id


def _tenant(world, target: str) -> str:
    return {"own": world["a"], "peer": world["a"], "other": world["b"], "near": near_miss(world["a"])}[target]


def _user_subject(world, role: str, target: str) -> str:
    """The caller itself, a peer in its tenant, another tenant's user, or (near) a user of A."""
    a, b = world["a"], world["b"]
    if target == "own":
        return world["tokens"][role]["user"]["id"]
    if target == "peer":
        return world["staff"][(a, "user" if role != "user" else "manager")].id
    return world["staff"][(b if target == "other" else a, "user")].id


def _victim_subject(world, role: str, target: str, op: str) -> str:
    if target == "own":  # deleting yourself is a conflict: an admin's "own" is a fresh user of its tenant
        return _victim(world["a"]) if op == "deleteUser" else world["tokens"][role]["user"]["id"]
    if target == "near":
        return world["staff"][(world["a"], "user")].id
    return _victim(_tenant(world, target))


def _spare_subject(world, role: str, target: str, op: str) -> str:
    # Never close or re-tier the tenants the matrix runs in.
    return _spare_client() if role == "super_admin" and target != "near" else _tenant(world, target)


SUBJECTS = {
    "user": lambda world, role, target, op: _user_subject(world, role, target),
    "victim": _victim_subject,
    "client": lambda world, role, target, op: _tenant(world, target),
    "spare": _spare_subject,
}


def _email_of(world, uid: str) -> str:
    for u in world["staff"].values():
        if u.id == uid:
            return u.email
    return world["tokens"]["super_admin"]["user"]["email"]


def _fill(value, names: dict):
    if isinstance(value, str):
        return re.sub(r"{(\w+)}", lambda m: names[m.group(1)], value)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


def _request(spec, op: str, role: str, target: str, world) -> tuple[str, str, dict, dict | None]:
    _, subject, query, body = EXPECTED[op]
    tenant = _tenant(world, target)
    subject_id = SUBJECTS[subject](world, role, target, op) if subject else _user_subject(world, role, target)
    names = {"id": subject_id, "run": new_id().lower(), "role": "user", "tier": "basic",
             "email": _email_of(world, _user_subject(world, role, target)),
             "job_id": world["jobs"].get(tenant, "01JDEM00000000000000000000")}  # well-formed, names no job
    path = _fill(spec.route, names)
    params = _fill(query, names)
    if spec.tenant in ("query", "required"):
        params["client_id"] = tenant
    return spec.method, path, params, _fill(body, names)


def _expected(rule: str, role: str, target: str, op: str) -> set[int]:
    ok = {200, 201, 202, 204}
    if rule == X:
        return {403}
    if op in TENANTLESS:
        return ok
    if target == "near":
        return {404}
    if target == "other":
        if rule == OWN and role == "super_admin":
            return {403, 404}  # another's two-factor: a super_admin reads them, but may not set them up
        return ok if role == "super_admin" else {404}
    if rule == OWN and target == "peer":
        return {403, 404}  # not theirs: 403 where the caller may read the record, else 404
    if role == "super_admin" and target == "own" and op in SUPER_OWN_NOT_IN_TENANT:
        return {404}
    return ok | ({409, 400} if op == "confirmTwoFactor" else set())  # no pending secret / a wrong code


def test_rights_matrix(api, world, capsys):
    operations = _operations()
    rows, failures = [], []
    for op, (rules, *_) in EXPECTED.items():
        row = [op]
        for role, rule in zip(ROLES, rules, strict=True):
            for target in TARGETS:
                method, path, params, body = _request(operations[op], op, role, target, world)
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
