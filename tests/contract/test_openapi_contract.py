"""Contract fuzzing: schemathesis over the OpenAPI document, against the running local gateway.

The document is `shared.local.openapi.build()`, the very function the gateway serves as
`/openapi.json` (a test asserts the served one is identical), so every operation the decorators
declare at run time is fuzzed: nothing here lists operations. It is built at collection because
schemathesis's lazy `from_fixture` loader does not run on pytest 9 (it writes `Node._nodeid`).

Each item is one operation and one caller, `[PATCH /users/{id}][admin]`:
- secured operations as a seeded admin: the random phases plus schemathesis's coverage phase
  (systematic boundary and negative cases, beyond max_examples);
- secured operations open to users as a seeded `user`: the random phases;
- operations that need a higher role as a `user`: a few cases (the role check precedes any input,
  so they all end in the same 403);
- public operations without a token: random and coverage phases.
Checks: schemathesis's not_a_server_error, status_code_conformance, content_type_conformance and
response_schema_conformance, plus our error contract: every 4xx is RFC 9457 problem+json with
type/title/status (a 400 names the `field`), except API Gateway's own three JSON answers.

State: the seeded accounts never reach the fuzzer's logins (it generates its own random emails,
and a public case naming a seeded email is rewritten), real ids reach only GET requests (so the
fuzzer never deletes, demotes or locks the accounts the tokens belong to), and whatever it wrote
(users, clients, throttles, sessions) is undone afterwards: the table is put back as it was before
the module, so later tests find the seeded tenant untouched.

Budget: 25 random examples per operation and mode while the document has up to 40 operations,
fewer beyond (never under 10), so the module stays near two minutes as operations are added.
"""

from __future__ import annotations

import json
import re

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

pytestmark = pytest.mark.slow

# The coverage phase also sends methods an operation does not declare. http.server, under the local
# gateway, answers TRACE and QUERY itself (501, HTML), which API Gateway never would: not sent.
UNEXPECTED_METHODS = ["delete", "get", "options", "patch", "post", "put"]
# API Gateway's own answers (application/json, not problem+json): the only 4xx our code does not write.
GATEWAY_ANSWERS = {401: {"message": "Unauthorized"}, 403: {"message": "Forbidden"}, 404: {"message": "Not Found"}}


def problem_json_for_every_4xx(ctx, response, case) -> None:
    """Our 4xx are problem+json with type/title/status (and `field` on 400); the gateway's are exempt."""
    _assert_problem(response.status_code, (response.headers.get("content-type") or [""])[0], response.content)


def _assert_problem(status: int, content_type: str, content: bytes) -> None:
    if not 400 <= status < 500:
        return
    ctype = content_type.split(";")[0].strip().lower()
    try:
        body = json.loads(content or b"null")
    except ValueError:
        raise AssertionError(f"{status} body is not JSON: {content[:200]!r}") from None
    if ctype == "application/json" and GATEWAY_ANSWERS.get(status) == body:
        return
    assert ctype == "application/problem+json", f"{status} answered {ctype or 'no content-type'}: {body!r}"
    assert isinstance(body, dict), f"{status} problem is not an object: {body!r}"
    for key, kind in (("type", str), ("title", str), ("status", int)):
        assert isinstance(body.get(key), kind), f"{status} problem lacks a {kind.__name__} `{key}`: {body!r}"
    assert body["status"] == status, f"problem status {body['status']} != HTTP status {status}"
    if status == 400:
        assert isinstance(body.get("field"), str) and body["field"].startswith("/"), \
            f"400 problem does not name the offending `field`: {body!r}"


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, problem_json_for_every_4xx]


def _document() -> dict:
    from shared.local.openapi import build

    return json.loads(json.dumps(build()))  # exactly what /openapi.json serves


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, item in document.get("paths", {}).items()
            for method, op in item.items() if isinstance(op, dict)]


try:
    DOCUMENT = _document()
except Exception as exc:  # noqa: BLE001 - one failing test names it, instead of aborting all collection
    DOCUMENT, BUILD_ERROR = None, exc

OPERATIONS = _operations(DOCUMENT or {})
MAX_EXAMPLES = max(10, min(25, 1000 // max(len(OPERATIONS), 1)))
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
    for hook in ("flatmap_path_parameters", "flatmap_query"):  # one function object per registration
        loaded.hook(hook)(lambda context, values: _sometimes_known_ids(context, values))
    return loaded


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
        response = case.call_and_validate(base_url=fuzz_state.url, headers=bearer(role), checks=CHECKS, timeout=30)
        assert response.status_code in (403, 404), response.text  # 404: a path the gateway has no route for

    @schema.exclude(_secured).parametrize()
    @pytest.mark.parametrize("role", ["anonymous"])
    @FUZZ
    def test_public_operation(case, role, fuzz_state):
        body = case.body
        if isinstance(body, dict) and isinstance(body.get("email"), str) \
                and body["email"].lower() in fuzz_state.seeded_emails:
            body["email"] = "fuzz-" + body["email"]  # never spend a seeded account's attempts
        case.call_and_validate(base_url=fuzz_state.url, checks=CHECKS, timeout=30)


# Inputs a JSON schema cannot describe, so the fuzzer never sends them: (applies to, headers, body).
HOSTILE = {
    "deeply-nested-json": ("body", {"content-type": "application/json"}, b"[" * 5000 + b"]" * 5000),
    "invalid-utf8-json": ("body", {"content-type": "application/json"}, b'{"name": "\xff\xfe"}'),
    "if-match-not-ascii-digit": ("If-Match", {"if-match": '"\u00b2"'.encode("latin-1")}, None),
}


@pytest.mark.parametrize("probe", sorted(HOSTILE))
def test_inputs_no_schema_describes_never_break_an_operation(probe, fuzz_state, bearer):
    """Every operation the probe applies to answers it with a 4xx problem (or its 2xx), never a 5xx."""
    applies_to, headers, body = HOSTILE[probe]
    failures, tried = [], 0
    for method, path, op in OPERATIONS:
        has_body = "requestBody" in op
        has_header = any(p.get("in") == "header" and p.get("name") == applies_to for p in op.get("parameters", []))
        if not (has_body if applies_to == "body" else has_header):
            continue
        tried += 1
        url = fuzz_state.url + re.sub(r"{\w+}", "contract-probe", path)
        auth = bearer("admin") if op.get("security") else {}
        payload = body if body is not None else (b"{}" if has_body else None)
        extra = {"content-type": "application/json"} if payload is not None else {}
        r = fuzz_state.http.request(method, url, headers={**extra, **auth, **headers}, data=payload, timeout=30)
        if r.status_code >= 500:
            failures.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
            continue
        try:
            _assert_problem(r.status_code, r.headers.get("content-type", ""), r.content)
        except AssertionError as err:
            failures.append(f"{method} {path}: {str(err).splitlines()[0]}")
    if not tried:
        pytest.skip(f"no operation takes a {applies_to}")
    assert not failures, "\n".join(failures)


class FuzzState:
    """The table as it was before the fuzzing, put back afterwards (stream consumers included)."""

    def __init__(self, local):
        import requests

        self.url, self.local, self.http = local.url, local, requests.Session()
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
        """Undo every write, settle the stream consumers (they react to the undo too) and undo what
        they wrote in turn, until the table is the snapshot again."""
        for _ in range(rounds):
            self._settle()
            now = self._items()
            writes = [{"DeleteRequest": {"Key": {k: item[k] for k in self.key}}}
                      for key, item in now.items() if key not in self.snapshot]
            writes += [{"PutRequest": {"Item": item}} for key, item in self.snapshot.items() if now.get(key) != item]
            if not writes:
                return
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
    """`bearer(role)`: a seeded account's Authorization header; one login per role and module
    (argon2 makes each login cost ~0.5 s)."""

    def headers(role: str) -> dict:
        if role not in fuzz_state.tokens:
            fuzz_state.tokens[role] = login(role)["access_token"]
        return {"Authorization": f"Bearer {fuzz_state.tokens[role]}"}

    return headers
