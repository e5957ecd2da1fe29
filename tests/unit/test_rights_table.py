"""The rights table and the decorator's tenant scope, without a gateway or AWS."""

from __future__ import annotations

import json

import pytest

from shared.api import operation
from shared.core import rights
from shared.core.actor import Actor
from shared.errors import Forbidden, NotFound

TENANT = "01JTENANT00000000000000000"
OTHER = "01JXTHER000000000000000000"


class _Record:
    def __init__(self, owner_id: str):
        self.owner_id = owner_id


def test_ranks_are_derived_from_the_grants():
    assert rights.ROLE_RANK == {"user": 1, "manager": 2, "admin": 3, "super_admin": 4}
    assert rights.outranks("admin", "manager") and not rights.outranks("manager", "admin")


def test_an_own_only_grant_admits_the_callers_record_and_hides_the_rest():
    user = Actor("me", "user", TENANT)
    rights.require(user, "users:read", _Record("me"))
    with pytest.raises(NotFound):  # may not even read a peer: existence is not told
        rights.require(user, "users:read", _Record("peer"))
    manager = Actor("boss", "manager", TENANT)
    rights.require(manager, "users:read", _Record("peer"))
    with pytest.raises(Forbidden):  # reads the peer, may not change it: the honest 403
        rights.require(manager, "users:write", _Record("peer"))


def test_extra_permissions_add_to_the_role():
    user = Actor("me", "user", TENANT, frozenset({"campaigns:launch"}))
    assert rights.holds(user, "campaigns:launch") and not rights.holds(user, "campaigns:write")


def test_no_one_gives_or_manages_a_role_above_their_grants():
    admin = Actor("a", "admin", TENANT)
    assert rights.may_assign(admin, "admin") and not rights.may_assign(admin, "super_admin")
    assert not rights.may_assign(Actor("m", "manager", TENANT), "admin")


def test_the_catalogue_names_every_grant():
    for role, grants in rights.GRANTS.items():
        assert grants <= rights.CATALOGUE, role
    assert rights.unknown(["users:read", "members:fly"]) == [1]


def _event(role: str, tenant: str | None, query: dict | None = None, path: dict | None = None) -> dict:
    return {"rawPath": "/things", "headers": {}, "queryStringParameters": query, "pathParameters": path or {},
            "requestContext": {"requestId": "r1", "http": {"sourceIp": "127.0.0.1"}, "authorizer": {"lambda": {
                "user_id": "u1", "role": role, "client_id": tenant or "", "permissions": ""}}}}


@operation("GET /things", permission="users:read", name="probeThings")
def _things(req):
    return {"tenant": req.tenant}


@operation("GET /things/{id}", permission="clients:read", tenant="path", name="probeThing")
def _thing(req):
    return {"tenant": req.tenant}


@operation("GET /must-name", permission="users:read", tenant="required", name="probeRequired")
def _required(req):
    return {"tenant": req.tenant}


def _call(handler, event) -> tuple[int, dict]:
    answer = handler(event)
    return answer["statusCode"], json.loads(answer["body"]) if answer["body"] else {}


def test_the_acting_tenant_is_the_callers_own_unless_a_super_admin_names_one():
    assert _call(_things, _event("admin", TENANT)) == (200, {"tenant": TENANT})
    assert _call(_things, _event("admin", TENANT, {"client_id": TENANT})) == (200, {"tenant": TENANT})
    status, body = _call(_things, _event("admin", TENANT, {"client_id": OTHER}))
    assert status == 404 and body["type"].endswith("/not-found")
    assert _call(_things, _event("super_admin", None)) == (200, {"tenant": None})  # platform scope
    status, body = _call(_things, _event("super_admin", None, {"client_id": "not-a-client"}))
    assert status == 400 and body["field"] == "/query/client_id"
    status, body = _call(_required, _event("super_admin", None))
    assert status == 400 and body["field"] == "/query/client_id"


def test_a_path_tenant_is_the_path_id():
    assert _call(_thing, _event("user", TENANT, path={"id": TENANT})) == (200, {"tenant": TENANT})
    assert _call(_thing, _event("user", TENANT, path={"id": OTHER}))[0] == 404
    assert _call(_thing, _event("super_admin", None, path={"id": OTHER})) == (200, {"tenant": OTHER})


def test_a_role_without_the_permission_is_refused_before_anything_is_read():
    status, body = _call(_things, _event("user", TENANT))
    assert status == 403 and "users:read" in body["detail"]


def test_an_operation_must_declare_a_known_permission_or_be_public():
    with pytest.raises(ValueError):
        operation("GET /x")
    with pytest.raises(ValueError):
        operation("GET /x", permission="members:fly")
