"""The OpenAPI document's error answers and path parameters, for every operation the decorators
declare (nothing here lists operations)."""

from __future__ import annotations

import pytest

from shared.ids import ULID_PATTERN
from shared.local.openapi import build

DOCUMENT = build()
OPERATIONS = [(method.upper(), path, op) for path, item in DOCUMENT["paths"].items() for method, op in item.items()]


def _statuses(op) -> set[int]:
    return {int(s) for s in op["responses"] if int(s) >= 400}


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_each_operation_lists_the_errors_its_declaration_allows(method, path, op):
    statuses = _statuses(op)
    assert 500 in statuses
    has_body = "requestBody" in op
    assert ({413, 415} <= statuses) == has_body and bool({413, 415} & statuses) == has_body
    if has_body or op["parameters"]:
        assert 400 in statuses
    secured = bool(op["security"])
    if secured:
        assert {401, 403} <= statuses
    ids = [p for p in op["parameters"] if p["in"] == "path" and p["schema"].get("pattern")]
    if ids:
        assert 404 in statuses
    if_match = any(p["name"] == "If-Match" for p in op["parameters"])
    assert (412 in statuses) == (if_match and bool(ids))
    if method in ("PATCH", "DELETE") and secured and ids:
        assert if_match
    for status in statuses:
        answer = op["responses"][str(status)]
        assert answer["description"] and answer["content"], (status, answer)


def test_gets_never_list_body_errors_and_public_ones_only_what_they_raise():
    gets = [op for method, _, op in OPERATIONS if method == "GET"]
    assert gets and all(not {413, 415} & _statuses(op) for op in gets)
    public = {op["operationId"]: _statuses(op) for _, _, op in OPERATIONS if not op["security"]}
    assert public["login"] == {400, 401, 403, 413, 415, 429, 500, 503}  # 503: a write DynamoDB kept throttling
    assert public["logout"] == {400, 413, 415, 500, 503}  # idempotent: any token answers 204


def test_problem_types_are_named_by_the_answers():
    patch = DOCUMENT["paths"]["/users/{id}"]["patch"]["responses"]
    assert "https://echelonx.dev/problems/precondition-failed" in patch["412"]["description"]
    assert "https://echelonx.dev/problems/internal" in patch["500"]["description"]


def test_path_ids_are_ulids_and_other_path_parameters_are_enums():
    for _, path, op in OPERATIONS:
        for param in (p for p in op["parameters"] if p["in"] == "path"):
            schema = param["schema"]
            if param["name"] == "id" or param["name"].endswith("_id"):
                assert schema["pattern"] == ULID_PATTERN and schema["minLength"] == schema["maxLength"] == 26
            else:
                assert schema["enum"], (path, param)
    by_role = DOCUMENT["paths"]["/users/by-role/{role}"]["get"]["parameters"][0]["schema"]
    assert set(by_role["enum"]) == {"admin", "manager", "user", "super_admin"}
    by_tier = DOCUMENT["paths"]["/clients/by-tier/{tier}"]["get"]["parameters"][0]["schema"]
    assert by_tier["enum"] == ["basic", "premium", "enterprise", "custom"]


def test_throttled_routes_document_api_gateways_429():
    search = DOCUMENT["paths"]["/clients/search"]["get"]["responses"]["429"]
    assert "application/json" in search["content"] and "Too Many Requests" in search["description"]
