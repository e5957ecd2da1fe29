"""Contract fuzzing: schemathesis over the served `/openapi.json`, against the running local gateway.

Every operation the document holds at run time is fuzzed (no operation list here), once with a
seeded admin's bearer token and once with a plain `user`'s. Besides schemathesis's own checks we
hold our error contract: no 5xx ever, and every 4xx is RFC 9457 problem+json (400 names the
`field`) except the gateway's own three JSON answers.

The seeded accounts never reach the fuzzer's logins: it generates its own (random) emails, any
login case that would name a seeded email is rewritten, and the seeded emails' login throttles are
cleared afterwards, so the per-email lockout can never hold a seeded account.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 25
ROLES = ["admin", "user"]
# API Gateway's own answers (application/json, not problem+json): the only 4xx our code does not write.
GATEWAY_ANSWERS = {401: {"message": "Unauthorized"}, 403: {"message": "Forbidden"}, 404: {"message": "Not Found"}}


def problem_json_for_every_4xx(ctx, response, case) -> None:
    """Our 4xx are problem+json with type/title/status (and `field` on 400); the gateway's are exempt."""
    status = response.status_code
    if not 400 <= status < 500:
        return None
    ctype = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        raise AssertionError(f"{status} body is not JSON: {response.content[:200]!r}") from None
    if ctype == "application/json" and GATEWAY_ANSWERS.get(status) == body:
        return None
    assert ctype == "application/problem+json", f"{status} answered {ctype or 'no content-type'}: {body!r}"
    assert isinstance(body, dict), f"{status} problem is not an object: {body!r}"
    for key, kind in (("type", str), ("title", str), ("status", int)):
        assert isinstance(body.get(key), kind), f"{status} problem lacks a {kind.__name__} `{key}`: {body!r}"
    assert body["status"] == status, f"problem status {body['status']} != HTTP status {status}"
    if status == 400:
        assert isinstance(body.get("field"), str) and body["field"].startswith("/"), \
            f"400 problem does not name the offending `field`: {body!r}"
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, problem_json_for_every_4xx]


@pytest.fixture(scope="module", params=ROLES)
def role(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def contract_schema(local, role):
    """The document the gateway serves right now (whatever operations it holds)."""
    config = schemathesis.Config.from_dict({
        "base-url": local.url,
        "seed": 20240601,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                       # We send the real bearer token; a generated `Authorization` would only be refused.
                       "with-security-parameters": False},
    })
    yield schemathesis.openapi.from_url(f"{local.url}/openapi.json", config=config)
    _unlock_seeded_accounts(local)


@pytest.fixture
def bearer(role, login) -> dict:
    return {"Authorization": f"Bearer {login(role)['access_token']}"}


@pytest.fixture
def seeded_emails(local) -> set[str]:
    return {v["email"].lower() for v in local.logins.values() if isinstance(v, dict) and "email" in v}


def _unlock_seeded_accounts(local) -> None:
    from shared.auth import store

    for creds in local.logins.values():
        if isinstance(creds, dict) and "email" in creds:
            store.clear(store.throttle_for(creds["email"]))


schema = schemathesis.pytest.from_fixture("contract_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_honours_the_contract(case, bearer, seeded_emails):
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("email"), str) and body["email"].lower() in seeded_emails:
        body["email"] = "fuzz-" + body["email"]  # never spend a seeded account's login attempts
    case.call_and_validate(headers=bearer, checks=CHECKS, timeout=30)
