"""Contract fuzzing: schemathesis over the OpenAPI document, against the running local gateway.

The document is `shared.local.openapi.build()`, the very function the gateway serves as
`/openapi.json` (a test asserts the served one is identical), so every operation the decorators
declare at run time is fuzzed: nothing here lists operations. It is built at collection because
schemathesis's lazy `from_fixture` loader does not run on pytest 9 (it writes `Node._nodeid`).

Secured operations run with a seeded admin's bearer token and with a plain `user`'s; public ones
without a token. Each item is one operation: `[GET /users/{id}][admin]`. The admin and public
items add schemathesis's coverage phase (systematic boundary and negative cases) to the random
ones; a `user` gets the random cases on operations open to users, and only a few on operations
that need a higher role (the role check precedes any input, so those all end in the same 403). Besides schemathesis's checks we hold our error contract:
no 5xx ever, and every 4xx is RFC 9457 problem+json (a 400 names the `field`), except API
Gateway's own three JSON answers.

State: the seeded accounts never reach the fuzzer's logins (it generates its own random emails,
and a login case naming a seeded email is rewritten), the fuzzer names real ids only in GET
requests (so it never deletes, demotes or locks the accounts the tokens belong to), and whatever
it wrote (users it created, throttles, sessions) is undone afterwards: the table is put back as
it was before the module, so later tests see the seeded tenant untouched.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 25
ROLES = ["admin", "user"]
# The coverage phase also sends methods an operation does not declare. http.server, under the local
# gateway, answers TRACE and QUERY itself (501, HTML), which API Gateway never would: not sent.
UNEXPECTED_METHODS = ["delete", "get", "options", "patch", "post", "put"]
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
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
REFUSED = settings(FUZZ, max_examples=3)

# Ids of the seeded tenant and its users (filled at run time). Random ids only ever reach a 404, so
# in GET requests the fuzzer also tries these in `id`/`*_id` path and query parameters.
KNOWN_IDS: list[str] = []


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _sometimes_known_ids(context, values):
    if (not KNOWN_IDS or context.operation is None or context.operation.method.upper() != "GET"
            or not isinstance(values, dict) or not any(_is_id(k) for k in values)):
        return st.just(values)
    return st.fixed_dictionaries({k: st.sampled_from([v, *KNOWN_IDS]) if _is_id(k) else st.just(v)
                                  for k, v in values.items()})


def _document() -> dict:
    from shared.local.openapi import build

    return json.loads(json.dumps(build()))  # exactly what /openapi.json serves


def _secured(ctx) -> bool:
    return bool(ctx.operation.definition.raw.get("security"))


def _open_to_users(ctx) -> bool:
    return ctx.operation.definition.raw.get("x-minimum-role") == "user"


def _schema(document: dict, coverage: bool):
    loaded = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict({
        "seed": 20240601,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                       # We send a real bearer token; a generated `Authorization` would only be refused.
                       "with-security-parameters": False},
        "phases": {"coverage": {"enabled": coverage, "unexpected-methods": UNEXPECTED_METHODS}},
    }))
    loaded.hook("flatmap_path_parameters")(lambda context, values: _sometimes_known_ids(context, values))
    loaded.hook("flatmap_query")(lambda context, values: _sometimes_known_ids(context, values))
    return loaded


try:
    DOCUMENT = _document()
except Exception as exc:  # noqa: BLE001 - one failing test names it, instead of aborting all collection
    DOCUMENT, BUILD_ERROR = None, exc

if DOCUMENT is None:

    def test_the_openapi_document_builds():
        pytest.fail(f"the OpenAPI document does not build: {BUILD_ERROR!r}")

else:
    schema = _schema(DOCUMENT, coverage=True)
    schema_without_coverage = _schema(DOCUMENT, coverage=False)

    def test_the_gateway_serves_this_document(api):
        assert api.get("/openapi.json").json() == DOCUMENT

    @schema.include(_secured).parametrize()
    @pytest.mark.parametrize("role", ["admin"])  # a parametrisation also gives each item its own pytest 9 node id
    @FUZZ
    def test_secured_operation_as_admin(case, role, fuzz_state, bearer):
        case.call_and_validate(base_url=fuzz_state.url, headers=bearer(role), checks=CHECKS, timeout=30)

    @schema_without_coverage.include(_open_to_users).parametrize()
    @pytest.mark.parametrize("role", ["user"])
    @FUZZ
    def test_secured_operation_as_user(case, role, fuzz_state, bearer):
        case.call_and_validate(base_url=fuzz_state.url, headers=bearer(role), checks=CHECKS, timeout=30)

    @schema_without_coverage.include(_secured).exclude(_open_to_users).parametrize()
    @pytest.mark.parametrize("role", ["user"])
    @REFUSED
    def test_higher_role_operation_refuses_a_user(case, role, fuzz_state, bearer):
        """The role check comes before any input is read: a few cases show the refusal is a 403 problem."""
        response = case.call_and_validate(base_url=fuzz_state.url, headers=bearer(role), checks=CHECKS, timeout=30)
        assert response.status_code in (403, 404), response.text  # 404: an unmatched path, from the gateway

    @schema.exclude(_secured).parametrize()
    @pytest.mark.parametrize("role", ["anonymous"])
    @FUZZ
    def test_public_operation(case, role, fuzz_state):
        body = case.body
        if isinstance(body, dict) and isinstance(body.get("email"), str) \
                and body["email"].lower() in fuzz_state.seeded_emails:
            body["email"] = "fuzz-" + body["email"]  # never spend a seeded account's login attempts
        case.call_and_validate(base_url=fuzz_state.url, checks=CHECKS, timeout=30)


class FuzzState:
    """The table as it was before the fuzzing, put back afterwards (DynamoDB streams included)."""

    def __init__(self, local):
        self.url = local.url
        self.local = local
        self.tokens: dict[str, str] = {}
        self.seeded_emails = {v["email"].lower() for v in local.logins.values()
                              if isinstance(v, dict) and "email" in v}
        self.ddb = local.aws.client("dynamodb")
        self.table = local.aws.names["Table"]
        self.key = [k["AttributeName"] for k in self.ddb.describe_table(TableName=self.table)["Table"]["KeySchema"]]
        self._settle()
        self.snapshot = self._items()

    def _settle(self) -> None:
        if getattr(self.local, "poller", None):
            self.local.poller.settle()

    def _items(self) -> dict[str, dict]:
        items, kwargs = {}, {"TableName": self.table, "ConsistentRead": True}
        while True:
            page = self.ddb.scan(**kwargs)
            for item in page.get("Items", []):
                items[json.dumps([item[k] for k in self.key], sort_keys=True)] = item
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def restore(self, rounds: int = 5) -> None:
        """Undo every write, then settle the stream consumers (they react to the undo as well) and
        undo what they wrote in turn, until the table is the snapshot again."""
        for _ in range(rounds):
            self._settle()
            now = self._items()
            deletes = [{"DeleteRequest": {"Key": {k: item[k] for k in self.key}}}
                       for key, item in now.items() if key not in self.snapshot]
            puts = [{"PutRequest": {"Item": item}} for key, item in self.snapshot.items() if now.get(key) != item]
            if not deletes and not puts:
                return
            writes = deletes + puts
            for i in range(0, len(writes), 25):
                self.ddb.batch_write_item(RequestItems={self.table: writes[i:i + 25]})
        raise AssertionError(f"the table did not settle back to its state before the fuzzing in {rounds} rounds")


@pytest.fixture(scope="module")
def fuzz_state(local):
    from shared.users import store as users

    state = FuzzState(local)
    found = [users.find_by_email(email) for email in sorted(state.seeded_emails)]
    KNOWN_IDS[:] = [local.logins["client_id"], *(u.id for u in found if u is not None)]
    yield state
    KNOWN_IDS.clear()
    state.restore()


@pytest.fixture
def bearer(fuzz_state, login):
    """`bearer(role)`: the Authorization header of a seeded account, one login per role and module
    (argon2 makes a login cost ~0.5 s)."""

    def headers(role: str) -> dict:
        if role not in fuzz_state.tokens:
            fuzz_state.tokens[role] = login(role)["access_token"]
        return {"Authorization": f"Bearer {fuzz_state.tokens[role]}"}

    return headers
