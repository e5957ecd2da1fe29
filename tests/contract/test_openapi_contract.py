"""Contract fuzzing: schemathesis over the OpenAPI document, against the running local gateway.

The document is `shared.local.openapi.build()`, the very function the gateway serves as
`/openapi.json` (a test asserts the served one is identical), so every operation the decorators
declare at run time is fuzzed: nothing here lists operations. It is built at collection because
schemathesis's lazy `from_fixture` loader does not run on pytest 9 (it writes `Node._nodeid`).

Each item is one operation and one caller, e.g. `[PATCH /users/{id}][admin]`:
- as a seeded admin, every secured operation up to admin: the random phases plus schemathesis's
  coverage phase (systematic boundary and negative cases, beyond max_examples); operations only a
  super_admin may call get the same as the seeded super_admin, and a few cases as the admin;
- as a seeded `user`, the operations open to users: the random phases; the others: a few cases
  (the role check precedes any input, so they all end in the same 403);
- public operations, without a token: random and coverage phases.
Checks: schemathesis's not_a_server_error, status_code_conformance, content_type_conformance and
response_schema_conformance, plus our error contract: every 4xx is RFC 9457 problem+json with
type/title/status (a 400 names the `field`), except API Gateway's own three JSON answers. A last
test sends every operation inputs no JSON schema describes (so the fuzzer never does).

State: the seeded accounts never reach the fuzzer's logins (it generates its own random emails,
and a public case naming a seeded email is rewritten), the seeded ids reach only GET requests (so
the fuzzer never deletes, demotes or locks the accounts the tokens belong to; it writes to target
users made for it), and whatever it wrote (users, clients, throttles, sessions) is undone
afterwards: the table is put back as it was before the module, so later tests find the seeded
tenant untouched.

Budget: 25 random examples per operation while the document has up to 40 operations, fewer
beyond (never under 10). Measured on 2 busy cores: 36 operations (77 items) in ~50 s (37 s of
CPU), about 1.2 s per operation plus the runtime's start; so the module marks itself `slow` once
the document has more than SLOW_ABOVE operations (then past ~60 s), and stays within about two
minutes up to some 120 operations.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared import clock
from shared.core.rights import ROLE_RANK
from tests.addresses import fresh_loopback, session_from
from tests.fixture_gateway import FIXTURES, PACKAGE, fixture_gateway, serving

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


def _document(*where) -> dict:
    from shared.local.openapi import build

    return json.loads(json.dumps(build(*where)))  # exactly what /openapi.json serves


try:
    DOCUMENT = _document()
    # The fixture handlers' document: HTTP kinds no domain uses yet (webhooks), fuzzed the same way.
    FIXTURE_DOCUMENT = _document(FIXTURES, PACKAGE)
except Exception as exc:  # noqa: BLE001 - one failing test names it, instead of aborting all collection
    DOCUMENT, FIXTURE_DOCUMENT, BUILD_ERROR = None, None, exc

OPERATIONS = [(method.upper(), path, op) for path, item in (DOCUMENT or {}).get("paths", {}).items()
              for method, op in item.items() if isinstance(op, dict)]
MAX_EXAMPLES = max(10, min(25, 1000 // max(len(OPERATIONS), 1)))
SLOW_ABOVE = 50
pytestmark = [pytest.mark.slow] if len(OPERATIONS) > SLOW_ABOVE else []
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
REFUSED = settings(FUZZ, max_examples=3)


def _min_rank(op: dict) -> int:
    """0 for a public operation, else the rank of the least role it admits (a `user` if unsaid)."""
    return ROLE_RANK.get(op.get("x-minimum-role"), 1) if op.get("security") else 0


def _ranked(low: str | None, high: str | None):
    """A schemathesis filter: secured operations whose minimum role lies between `low` and `high`."""
    lo, hi = ROLE_RANK[low] if low else 1, ROLE_RANK[high] if high else max(ROLE_RANK.values())

    def matches(ctx) -> bool:
        return lo <= _min_rank(ctx.operation.definition.raw) <= hi

    return matches


def _any(low: str | None, high: str | None) -> bool:
    lo, hi = ROLE_RANK[low] if low else 1, ROLE_RANK[high] if high else max(ROLE_RANK.values())
    return any(lo <= _min_rank(op) <= hi for _, _, op in OPERATIONS)


def _public(ctx) -> bool:
    return _min_rank(ctx.operation.definition.raw) == 0


# Filled at run time. Random ids only ever reach a 404, so the fuzzer also tries real ones in
# `id`/`*_id` path and query parameters: for `client_id` the callers' own tenant; for others, in
# GET requests the seeded users' and tenant's ids, and in any request users made for the purpose
# (TARGET_IDS, by method: DELETE has its own, or it would delete the others' before their turn),
# which it may change, break or delete at will: they are neither callers nor needed afterwards.
TENANT_IDS: list[str] = []
KNOWN_IDS: list[str] = []
TARGET_IDS: dict[str, list[str]] = {}


def _real_ids(name: str, method: str) -> list[str]:
    if name == "client_id":
        return TENANT_IDS
    if name != "id" and not name.endswith("_id"):
        return []
    targets = TARGET_IDS.get("DELETE" if method == "DELETE" else "other", [])
    return targets + (KNOWN_IDS + TENANT_IDS if method == "GET" else [])


def _sometimes_real_ids(context, values):
    method = context.operation.method.upper() if context.operation is not None else ""
    if not isinstance(values, dict) or not any(_real_ids(k, method) for k in values):
        return st.just(values)
    return st.fixed_dictionaries({k: st.sampled_from([v, *_real_ids(k, method)]) for k, v in values.items()})


def _schema(document: dict, coverage: bool):
    loaded = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict({
        "seed": 20240601,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                       # We send a real bearer token; a generated `Authorization` would only be refused.
                       "with-security-parameters": False},
        "phases": {"coverage": {"enabled": coverage, "unexpected-methods": UNEXPECTED_METHODS}},
    }))
    for hook in ("flatmap_path_parameters", "flatmap_query"):  # one function object per registration
        loaded.hook(hook)(lambda context, values: _sometimes_real_ids(context, values))
    return loaded


def _provider_signature(case, fuzz_state) -> dict | None:
    """For a provider callback route, the headers its provider would sign the generated request with:
    the fuzzer cannot forge them, so unsigned it would only ever reach the 403, never the parsing and
    applying behind it. Computed over the request exactly as it will be sent (prepared by requests)."""
    from urllib.parse import parse_qsl, urlsplit

    from shared.local.fakes.twilio_callbacks import signature

    path = case.operation.path
    if not path.startswith(("/webhooks/twilio/", "/webhooks/sendgrid/")):
        return None
    kwargs = case.as_transport_kwargs(base_url=fuzz_state.url)
    prepared = requests.Request(**{k: kwargs[k] for k in ("method", "url", "headers", "params", "data", "json",
                                                           "files", "cookies") if k in kwargs}).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body or b""
    fakes = fuzz_state.local.provider_fakes
    if path.startswith("/webhooks/twilio/"):
        parts = urlsplit(prepared.url)  # the local runtime's public URL is the gateway's own
        url = f"{fuzz_state.url}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return {"X-Twilio-Signature": signature(url, form, fakes.state.credentials.twilio_auth_token)}
    stamp = str(clock.now_s())
    return {"X-Twilio-Email-Event-Webhook-Timestamp": stamp,
            "X-Twilio-Email-Event-Webhook-Signature": fakes.event_key.sign(stamp, body)}


def _call(case, fuzz_state, bearer, role):
    headers = bearer(role) if role != "anonymous" else _provider_signature(case, fuzz_state)
    # Anonymous cases are mostly failed logins: from an address of their own, so the per-address
    # login limit they reach locks only the fuzzer out, not the seeded logins on 127.0.0.1.
    session = fuzz_state.anonymous if role == "anonymous" else None
    return case.call_and_validate(base_url=fuzz_state.url, session=session, headers=headers, checks=CHECKS,
                                  timeout=30)


def _refused(case, fuzz_state, bearer, role):
    response = _call(case, fuzz_state, bearer, role)
    assert response.status_code in (403, 404), response.text  # 404: a path the gateway has no route for


if DOCUMENT is None:

    def test_the_openapi_document_builds():
        pytest.fail(f"the OpenAPI document does not build: {BUILD_ERROR!r}")

else:
    schema = _schema(DOCUMENT, coverage=True)
    few = _schema(DOCUMENT, coverage=False)

    def test_the_gateway_serves_this_document(api):
        assert api.get("/openapi.json").json() == DOCUMENT

    # The `role` parametrisation also gives each item its own node id (pytest 9 drops the
    # operation from an unparametrised schemathesis item's).
    if _any(None, "admin"):
        @schema.include(_ranked(None, "admin")).parametrize()
        @pytest.mark.parametrize("role", ["admin"])
        @FUZZ
        def test_operation_as_admin(case, role, fuzz_state, bearer):
            _call(case, fuzz_state, bearer, role)

    if _any("super_admin", None):
        @schema.include(_ranked("super_admin", None)).parametrize()
        @pytest.mark.parametrize("role", ["super_admin"])
        @FUZZ
        def test_platform_operation_as_super_admin(case, role, fuzz_state, bearer):
            _call(case, fuzz_state, bearer, role)

        @few.include(_ranked("super_admin", None)).parametrize()
        @pytest.mark.parametrize("role", ["admin"])
        @REFUSED
        def test_platform_operation_refuses_an_admin(case, role, fuzz_state, bearer):
            _refused(case, fuzz_state, bearer, role)

    if _any(None, "user"):
        @few.include(_ranked(None, "user")).parametrize()
        @pytest.mark.parametrize("role", ["user"])
        @FUZZ
        def test_operation_as_user(case, role, fuzz_state, bearer):
            _call(case, fuzz_state, bearer, role)

    if _any("manager", None):
        @few.include(_ranked("manager", None)).parametrize()
        @pytest.mark.parametrize("role", ["user"])
        @REFUSED
        def test_higher_role_operation_refuses_a_user(case, role, fuzz_state, bearer):
            _refused(case, fuzz_state, bearer, role)

    if any(_min_rank(op) == 0 for _, _, op in OPERATIONS):
        @schema.include(_public).parametrize()
        @pytest.mark.parametrize("role", ["anonymous"])
        @FUZZ
        def test_public_operation(case, role, fuzz_state, bearer):
            body = case.body
            if isinstance(body, dict) and isinstance(body.get("email"), str) \
                    and body["email"].lower() in fuzz_state.seeded_emails:
                body["email"] = "fuzz-" + body["email"]  # never spend a seeded account's attempts
            _call(case, fuzz_state, bearer, role)


    fixtures = _schema(FIXTURE_DOCUMENT, coverage=True)

    @fixtures.include(_public).parametrize()
    @pytest.mark.parametrize("role", ["anonymous"])
    @FUZZ
    def test_fixture_operation(case, role, fixture_url):
        """Webhooks (forms, raw bodies, XML and empty answers) hold to the same checks."""
        case.call_and_validate(base_url=fixture_url, checks=CHECKS, timeout=30)


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    with serving(fixture_gateway(tmp_path_factory.mktemp("contract"))) as url:
        yield url


# Inputs a JSON schema cannot describe, so the fuzzer never sends them: (applies to, headers, body).
HOSTILE = {
    "deeply-nested-json": ("body", {"content-type": "application/json"}, b"[" * 5000 + b"]" * 5000),
    "invalid-utf8-json": ("body", {"content-type": "application/json"}, b'{"name": "\xff\xfe"}'),
    "if-match-not-ascii-digit": ("If-Match", {"if-match": '"\u00b2"'.encode("latin-1")}, None),
}


@pytest.mark.parametrize("probe", sorted(HOSTILE))
def test_inputs_no_schema_describes_never_break_an_operation(probe, fuzz_state, bearer):
    """Every operation the probe applies to answers it (as its least role) with a 4xx problem or a
    2xx, never a 5xx."""
    roles = {rank: role for role, rank in ROLE_RANK.items()}
    _probe(probe, OPERATIONS, fuzz_state.url, fuzz_state.http,
           lambda op: bearer(roles[_min_rank(op)]) if _min_rank(op) else {})


@pytest.mark.parametrize("probe", sorted(HOSTILE))
def test_inputs_no_schema_describes_never_break_a_fixture_operation(probe, fixture_url):
    operations = [(method.upper(), path, op) for path, item in (FIXTURE_DOCUMENT or {}).get("paths", {}).items()
                  for method, op in item.items()]
    _probe(probe, operations, fixture_url, requests.Session(), lambda op: {})


def _probe(probe: str, operations, url: str, http, auth_for) -> None:
    applies_to, headers, body = HOSTILE[probe]
    failures, tried = [], 0
    for method, path, op in operations:
        has_body = "requestBody" in op
        has_header = any(p.get("in") == "header" and p.get("name") == applies_to for p in op.get("parameters", []))
        if not (has_body if applies_to == "body" else has_header):
            continue
        tried += 1
        payload = body if body is not None else (b"{}" if has_body else None)
        extra = {"content-type": "application/json"} if payload is not None else {}
        r = http.request(method, url + _well_formed_path(path, op), headers={**extra, **auth_for(op), **headers},
                         data=payload, timeout=30)
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


def _well_formed_path(path: str, op: dict) -> str:
    """The path with each parameter as its schema allows (an unknown id, an enum's first value),
    so that a probe reaches the body or header it is about rather than the path check."""
    schemas = {p["name"]: p["schema"] for p in op.get("parameters", []) if p.get("in") == "path"}

    def value(match) -> str:
        schema = schemas.get(match.group(1), {})
        return schema["enum"][0] if schema.get("enum") else "01JDEM00000000000000000000"

    return re.sub(r"{(\w+)}", value, path)


class FuzzState:
    """The table as it was before the fuzzing, put back afterwards (stream consumers included)."""

    def __init__(self, local):
        self.url, self.local, self.http = local.url, local, requests.Session()
        self.anonymous = session_from(fresh_loopback())
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
            # A bound, not a timing: after a fuzzing run the stream backlog can take a busy machine a while.
            self.local.poller.settle(timeout_s=120)

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
    from shared.local.seed import _user
    from shared.users import store as users

    state = FuzzState(local)
    tenant = local.logins["client_id"]
    TENANT_IDS[:] = [tenant]
    KNOWN_IDS[:] = [u.id for u in map(users.find_by_email, sorted(state.seeded_emails)) if u is not None]
    for kind in ("DELETE", "other"):
        TARGET_IDS[kind] = [users.create(_user(tenant, "user", f"target-{kind.lower()}-{n}@fuzz.example",
                                               "target-password", first="Target", last=f"{kind} {n}")).id
                            for n in (1, 2)]
    yield state
    for ids in (TENANT_IDS, KNOWN_IDS, TARGET_IDS):
        ids.clear()
    state.restore()  # the targets go too: they were made after the snapshot


@pytest.fixture
def bearer(fuzz_state, login):
    """`bearer(role)`: a seeded account's Authorization header; one login per role and module
    (argon2 makes each login cost ~0.5 s)."""

    def headers(role: str) -> dict:
        if role not in fuzz_state.tokens:
            fuzz_state.tokens[role] = login(role)["access_token"]
        return {"Authorization": f"Bearer {fuzz_state.tokens[role]}"}

    return headers
