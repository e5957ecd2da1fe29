"""The `operation` decorator on its own: what a caller gets when a handler fails, and what it refuses
before a handler runs. Handlers here are made for the purpose; no AWS is involved."""

from __future__ import annotations

import json
import logging

import pytest

from shared.api import operation
from shared.providers.errors import ProviderError, from_status, from_transport

CORRELATION = "corr-7f3a"


def event(path: str = "/things", body: str | None = None, params: dict | None = None,
          headers: dict | None = None) -> dict:
    """A minimal HTTP API v2 event as API Gateway sends it (public route: no authorizer context)."""
    out = {"version": "2.0", "rawPath": path, "headers": {"x-correlation-id": CORRELATION, **(headers or {})},
           "requestContext": {"requestId": "req-1", "http": {"sourceIp": "198.51.100.4", "userAgent": "t"}}}
    if body is not None:
        out["body"] = body
    if params:
        out["pathParameters"] = params
    return out


def raising(exc: BaseException):
    @operation("GET /things", public=True, name="raiseThings")
    def handler(req):
        raise exc

    return handler


@pytest.fixture
def log_lines():
    """The JSON lines the function logs, formatted as in Lambda (Powertools' own formatter)."""
    from shared.core.log import logger

    lines: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    keep = Keep()
    keep.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(keep)
    # A local runtime stopped earlier in this process leaves the logger at CRITICAL (shared.local.runtime):
    # these tests read what a function logs at its own level.
    level = logger.log_level
    logger.setLevel(logging.INFO)
    yield lines
    logger.setLevel(level)
    logger._logger.removeHandler(keep)


@pytest.fixture
def emf(monkeypatch, capsys):
    """The EMF documents flushed to stdout (metrics are on for these tests)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")

    def read() -> list[dict]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]

    return read


def _metric_names(documents: list[dict]) -> set[str]:
    return {m["Name"] for d in documents for block in d["_aws"]["CloudWatchMetrics"] for m in block["Metrics"]}


def test_an_unexpected_exception_is_a_500_problem_with_the_correlation_id_and_nothing_else(log_lines, emf):
    answer = raising(KeyError("db-password=hunter2-and-more"))(event(), None)
    assert answer["statusCode"] == 500
    assert answer["headers"]["content-type"] == "application/problem+json"
    body = json.loads(answer["body"])
    assert body["type"] == "https://echelonx.dev/problems/internal" and body["status"] == 500
    assert body["correlation_id"] == CORRELATION and answer["headers"]["x-correlation-id"] == CORRELATION
    assert "hunter2" not in answer["body"] and "KeyError" not in answer["body"]
    # Logged once with its traceback and the correlation id; counted as a server error.
    with_traceback = [line for line in log_lines if "exception" in line]
    assert len(with_traceback) == 1
    assert "KeyError" in with_traceback[0]["exception"] and with_traceback[0]["correlation_id"] == CORRELATION
    names = _metric_names(emf())
    assert "ServerErrors" in names and "ClientErrors" not in names


def test_a_client_error_is_counted_as_such_and_logs_no_traceback(log_lines, emf):
    from shared.errors import NotFound

    answer = raising(NotFound("thing not found"))(event(), None)
    assert answer["statusCode"] == 404
    assert not [line for line in log_lines if "exception" in line]
    names = _metric_names(emf())
    assert "ClientErrors" in names and "ServerErrors" not in names


@pytest.mark.parametrize(("error", "status", "retry_after"), [
    (from_status("twilio", 429, "Too Many Requests", retry_after="30"), 503, "30"),
    (from_status("nmi", 503, "HTTP 503", method="GET", retry_after="120"), 503, "120"),
    (from_status("twilio", 400, "queue is full", code=21611), 503, None),
    (from_status("sendgrid", 500, "HTTP 500"), 502, None),
    (from_transport("sendgrid", TimeoutError("read timed out")), 502, None),
    (ProviderError("nmi", "Authentication failed", code=300, status=200), 502, None),
])
def test_a_provider_failure_is_503_when_it_says_not_now_and_502_when_it_failed(error, status, retry_after):
    answer = raising(error)(event(), None)
    body = json.loads(answer["body"])
    assert answer["statusCode"] == status and body["status"] == status
    assert body["type"].endswith("/unavailable" if status == 503 else "/bad-gateway")
    assert answer["headers"].get("retry-after") == retry_after
    assert error.message not in body["detail"]  # the provider's words describe our request, not the caller's


def test_a_provider_refusing_the_callers_data_is_422_naming_the_field():
    refusal = from_status("twilio", 400, "The 'To' number +15005550001 is not a valid phone number.", code=21211)
    refusal.field = "/body/phone"  # set by the service that passed the caller's phone on
    answer = raising(refusal)(event(), None)
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 422 and body["type"].endswith("/unprocessable")
    assert body["field"] == "/body/phone" and "21211" in body["detail"] and "+1500" not in answer["body"]


# --- path parameters ------------------------------------------------------------------------------

@operation("GET /things/{id}/parts/{part_id}/{colour}", public=True, path={"colour": ("red", "blue")},
           name="getThingPart")
def thing_part(req):
    return {"path": req.path}


GOOD_ID, OTHER_ID = "01JDEM00000000000000000000", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"


def test_ids_and_declared_values_reach_the_handler():
    answer = thing_part(event(params={"id": GOOD_ID, "part_id": OTHER_ID, "colour": "red", "extra": "x"}), None)
    assert answer["statusCode"] == 200, answer["body"]
    assert json.loads(answer["body"])["path"] == {"id": GOOD_ID, "part_id": OTHER_ID, "colour": "red"}


@pytest.mark.parametrize(("params", "field"), [
    ({"id": "nope"}, "/path/id"),
    ({"id": GOOD_ID.lower()}, "/path/id"),  # ids are written upper case; a key never sees another spelling
    ({"id": GOOD_ID + "0"}, "/path/id"),
    ({"id": "8" + GOOD_ID[1:]}, "/path/id"),  # beyond 128 bits
    ({"id": GOOD_ID[:-1] + "O"}, "/path/id"),  # not Crockford base32
    ({"id": GOOD_ID + "\n"}, "/path/id"),
    ({"part_id": "T#tenant#USER"}, "/path/part_id"),
    ({"colour": "green"}, "/path/colour"),
    ({"colour": "RED"}, "/path/colour"),
])
def test_a_bad_path_parameter_is_a_400_naming_it(params, field):
    answer = thing_part(event(params={"id": GOOD_ID, "part_id": OTHER_ID, "colour": "blue", **params}), None)
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["field"] == field


def test_a_path_parameter_that_is_neither_an_id_nor_declared_is_refused_at_import():
    with pytest.raises(ValueError, match="slug"):
        operation("GET /things/{slug}", public=True)
    with pytest.raises(ValueError, match="colour"):
        operation("GET /things/{id}", public=True, path={"colour": ("red",)})


# --- bodies are strict JSON; query strings are text parsed into types ------------------------------

def _models():
    from pydantic import BaseModel, Field

    class Body(BaseModel):
        count: int | None = Field(None, ge=0)
        name: str | None = None
        active: bool | None = None

    class Query(BaseModel):
        count: int | None = None
        active: bool | None = None

    return Body, Query


Body, Query = _models()


@operation("PATCH /things/{id}", public=True, body=Body, query=Query, name="updateThing")
def update_thing(req, body):
    return {"body": body.model_dump(exclude_none=True), "query": req.query.model_dump(exclude_none=True)}


def _patch(body, query=None, **headers):
    e = event(body=body, params={"id": GOOD_ID}, headers=headers)
    if query:
        e["queryStringParameters"] = query
    return update_thing(e, None)


@pytest.mark.parametrize(("body", "field"), [
    ('{"count": false}', "/body/count"),  # a boolean is not a number (it was stored as 0)
    ('{"count": true}', "/body/count"),
    ('{"count": "5"}', "/body/count"),
    ('{"count": 1.0}', "/body/count"),
    ('{"name": 5}', "/body/name"),  # a number is not a string
    ('{"active": 1}', "/body/active"),
    ('{"active": "true"}', "/body/active"),
    ('null', "/body"),
    ('[]', "/body"),
    ('{"name": "\\ud83c"}', "/body"),  # half a UTF-16 pair
    ('[' * 5000 + ']' * 5000, "/body"),
    ('{"name": "x"} trailing', "/body"),
])
def test_a_body_value_of_the_wrong_json_type_is_a_400_naming_it(body, field):
    answer = _patch(body)
    assert answer["statusCode"] == 400, answer["body"]
    assert json.loads(answer["body"])["field"] == field


@pytest.mark.parametrize("body", [None, "", "  \n"])
def test_a_missing_body_is_a_400_naming_the_body(body):
    answer = _patch(body)
    assert answer["statusCode"] == 400 and json.loads(answer["body"])["field"] == "/body"


def test_query_strings_are_parsed_into_their_types_while_the_body_keeps_its_own():
    answer = _patch('{"count": 3, "name": "ok", "active": false}', {"count": "7", "active": "true"})
    assert answer["statusCode"] == 200, answer["body"]
    assert json.loads(answer["body"]) == {"body": {"count": 3, "name": "ok", "active": False},
                                          "query": {"count": 7, "active": True}}
    assert _patch("{}")["statusCode"] == 200  # an empty patch is a patch; no body at all is not
