"""A write DynamoDB does not take is no business failure: throttling answers 503 (problem+json, with
Retry-After), never a 400 or 401, never a wrong code that counts towards a lockout; a condition
that really fails still gives the domain answer.

Faults are injected at the botocore level, on the clients PynamoDB uses: a `before-call` handler
answers in DynamoDB's place (as if the SDK's own retries were spent), a `before-send` handler
answers instead of the HTTP call (so botocore's retry logic sees it and retries).
"""

from __future__ import annotations

import gc
import json
import threading
from contextlib import contextmanager

import pyotp
from botocore.awsrequest import AWSResponse

from shared import clock
from shared.ids import new_id
from tests.eventually import eventually

STRONG = "correct-horse-battery"
UNAVAILABLE = "https://echelonx.dev/problems/unavailable"


def _pynamodb_clients() -> list:
    """Every botocore client a PynamoDB connection holds (the models' and the transactions')."""
    from pynamodb.connection.base import Connection

    from shared.db import tx
    from shared.db.table import Item

    tx._connection().client  # noqa: B018 - make sure the transactions' client exists
    models = [Item]
    while models:  # and every model's own: a model makes its connection on first use, unhooked
        model = models.pop()
        model._get_connection().connection.client  # noqa: B018
        models.extend(model.__subclasses__())
    return [o._client for o in gc.get_objects() if isinstance(o, Connection) and o._client is not None]


@contextmanager
def dynamodb_answers(code: str, operation: str, needle: str, *, times: int | None = None, reasons=None,
                     before=None):
    """Calls of `operation` whose request mentions `needle` answer the AWS error `code` (the first
    `times` of them; all when None). `reasons(n_items)` gives a transaction's cancellation reasons;
    `before(params)` runs first and lets the call through instead (to change the item underneath)."""
    seen: list[str] = []
    lock = threading.Lock()

    def handler(params=None, **_):
        if needle not in str((params or {}).get("body", "")):
            return None
        with lock:
            seen.append(operation)
            if times is not None and len(seen) > times:
                return None
        if before is not None:
            before(params)
            return None
        parsed = {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        if reasons is not None:
            parsed["CancellationReasons"] = reasons(len(json.loads(params["body"])["TransactItems"]))
        return AWSResponse("https://dynamodb.local", 400, {}, None), parsed

    clients = _pynamodb_clients()
    event = f"before-call.dynamodb.{operation}"
    for client in clients:
        client.meta.events.register(event, handler, unique_id="test-fault")
    try:
        yield seen
    finally:
        for client in clients:
            client.meta.events.unregister(event, unique_id="test-fault")


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


@contextmanager
def throttled_once_on_the_wire(operation: str, needle: str):
    """The first matching HTTP request answers ProvisionedThroughputExceeded: botocore retries it."""
    attempts: list[int] = []

    def handler(request=None, **_):
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if not target.endswith(operation) or needle.encode() not in (request.body or b""):
            return None
        attempts.append(1)
        if len(attempts) > 1:
            return None
        body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                           "message": "injected"}).encode()
        return AWSResponse(request.url, 400, {"x-amzn-requestid": "injected"}, _Body(body))

    clients = _pynamodb_clients()
    for client in clients:
        client.meta.events.register("before-send.dynamodb", handler, unique_id="test-wire-fault")
    try:
        yield attempts
    finally:
        for client in clients:
            client.meta.events.unregister("before-send.dynamodb", unique_id="test-wire-fault")


def _unavailable(r):
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.headers["retry-after"] == "1"
    assert r.json()["type"] == UNAVAILABLE and r.json()["status"] == 503


def _email() -> str:
    return f"w-{new_id().lower()}@demo.echelonx.local"


def _new_user(api, admin, **extra) -> dict:
    r = api.post("/users", token=admin["access_token"], json={"email": _email(), "role": "user", "password": STRONG,
                                                              **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _verification_token(local, email) -> str:
    import re

    mail = eventually(lambda: next((m for m in local.provider_fakes.outbox("sendgrid") if m.get("to") == email), None))
    return re.search(r"token=([\w.\-]+)", mail["body"]).group(1)


def _login(api, email, **extra):
    return api.post("/auth/login", json={"email": email, "password": STRONG, **extra})


def _change_underneath(local, pk: str, sk: str, update: str, values: dict):
    """A write by someone else between our read and our conditional write (straight to the table)."""
    ddb = local.aws.client("dynamodb")

    def write(_params):
        ddb.update_item(TableName=local.aws.names["Table"], Key={"PK": {"S": pk}, "SK": {"S": sk}},
                        UpdateExpression=update, ExpressionAttributeValues=values)

    return write


def test_verify_email_throttled_is_503_and_the_link_still_works(api, local, admin):
    user = _new_user(api, admin)
    token = _verification_token(local, user["email"])
    with dynamodb_answers("ProvisionedThroughputExceededException", "UpdateItem", user["id"]) as seen:
        _unavailable(api.post("/auth/verify-email", json={"token": token}))
    assert seen  # the write was tried, and not taken
    assert api.post("/auth/verify-email", json={"token": token}).status_code == 200  # not used up by the 503
    assert api.get(f"/users/{user['id']}", token=admin["access_token"]).json()["email_verified"] is True


def test_verify_email_condition_failing_underneath_is_the_domain_answer(api, local, admin):
    user = _new_user(api, admin)
    token = _verification_token(local, user["email"])
    pk = f"T#{user['client_id']}#USER#{user['id']}"
    taken = _change_underneath(local, pk, "USER", "SET email_verification_token = :t", {":t": {"S": "other"}})
    with dynamodb_answers("unused", "UpdateItem", user["id"], times=1, before=taken):
        r = api.post("/auth/verify-email", json={"token": token})
    assert r.status_code == 400 and r.json()["field"] == "/body/token", r.text


def test_write_retried_by_the_sdk_is_absorbed(api, local, admin):
    user = _new_user(api, admin)
    token = _verification_token(local, user["email"])
    with throttled_once_on_the_wire("UpdateItem", user["id"]) as attempts:
        assert api.post("/auth/verify-email", json={"token": token}).status_code == 200
    assert len(attempts) == 2  # throttled, then retried by botocore (with its backoff) and taken


def test_refresh_throttled_is_503_and_the_token_still_refreshes(api, admin):
    session_id = admin["refresh_token"].split(".")[1]
    with dynamodb_answers("ThrottlingException", "UpdateItem", session_id):
        _unavailable(api.post("/auth/refresh", json={"refresh_token": admin["refresh_token"]}))
    again = api.post("/auth/refresh", json={"refresh_token": admin["refresh_token"]})
    assert again.status_code == 200, again.text  # no rotation happened, so the family is not revoked
    assert api.post("/auth/refresh", json={"refresh_token": again.json()["refresh_token"]}).status_code == 200


def test_refresh_losing_a_race_underneath_is_401(api, local, admin):
    tenant, session_id = admin["refresh_token"].split(".")[:2]
    pk = f"T#{tenant}#SESSION#{session_id}"
    # Another refresh of the same token moves the family on between our read and our write.
    raced = _change_underneath(local, pk, "SESSION", "SET generation = generation + :one", {":one": {"N": "1"}})
    with dynamodb_answers("unused", "UpdateItem", session_id, times=1, before=raced):
        r = api.post("/auth/refresh", json={"refresh_token": admin["refresh_token"]})
    assert r.status_code == 401, r.text


def _with_two_factor(api, admin) -> tuple[dict, pyotp.TOTP]:
    user = _new_user(api, admin)
    token = _login(api, user["email"]).json()["access_token"]
    secret = api.post(f"/users/{user['id']}/two-factor", token=token).json()["secret"]
    totp = pyotp.TOTP(secret)
    clock.freeze()
    r = api.post(f"/users/{user['id']}/two-factor/confirm", token=token, json={"code": totp.at(clock.now_s())})
    assert r.status_code == 200, r.text
    clock.advance(30)
    return user, totp


def test_totp_login_throttled_is_503_and_never_counts_as_a_wrong_code(api, admin):
    user, totp = _with_two_factor(api, admin)
    code = totp.at(clock.now_s())
    with dynamodb_answers("ProvisionedThroughputExceededException", "UpdateItem", user["id"]):
        for _ in range(6):  # more than the five failures that lock an email
            _unavailable(_login(api, user["email"], totp_code=code))
    ok = _login(api, user["email"], totp_code=code)  # not locked, and the code was never used
    assert ok.status_code == 200, ok.text
    assert _login(api, user["email"], totp_code=code).status_code == 401  # now it is used: the real condition


def test_transaction_conflicts_are_retried_then_503(api, admin):
    email = _email()
    body = {"email": email, "role": "user", "password": STRONG}

    def conflict(n):
        return [{"Code": "TransactionConflict", "Message": "injected"}] + [{"Code": "None"}] * (n - 1)

    with dynamodb_answers("TransactionCanceledException", "TransactWriteItems", email, times=2,
                          reasons=conflict) as seen:
        r = api.post("/users", token=admin["access_token"], json=body)
    assert r.status_code == 201, r.text  # two conflicts, then the third attempt was taken
    assert len(seen) == 4  # the user's three attempts, then its verification email written queued
    other = _email()
    with dynamodb_answers("TransactionCanceledException", "TransactWriteItems", other, reasons=conflict) as seen:
        _unavailable(api.post("/users", token=admin["access_token"], json={**body, "email": other}))
    assert len(seen) == 4  # bounded
    assert api.get("/users/by-email", token=admin["access_token"], params={"email": other}).status_code == 404
    with dynamodb_answers("ProvisionedThroughputExceededException", "TransactWriteItems", other):
        _unavailable(api.post("/users", token=admin["access_token"], json={**body, "email": other}))
    duplicate = api.post("/users", token=admin["access_token"], json=body)
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "/body/email"  # a real condition


def test_a_throttled_read_is_503_too(api, admin):
    """Not only conditional writes: a read DynamoDB keeps refusing answers 503 with Retry-After,
    never the 500 of a defect."""
    user = _new_user(api, admin)
    with dynamodb_answers("ProvisionedThroughputExceededException", "Query", user["id"]):
        _unavailable(api.get(f"/users/{user['id']}", token=admin["access_token"]))
    assert api.get(f"/users/{user['id']}", token=admin["access_token"]).status_code == 200
