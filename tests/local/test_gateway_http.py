"""The local gateway over HTTP as API Gateway (HTTP API) runs it: CORS from the HttpApi's
CorsConfiguration with its intrinsics resolved, and request bodies as a payload-2.0 function receives
them. The product's runtime for template.yaml's own configuration; a gateway of the test's own (one
function echoing the event it was given) for other configurations and for bodies."""

from __future__ import annotations

import base64
import contextlib
import copy
import json
from pathlib import Path

import pytest
import requests

from shared.local.aws import EmbeddedAws
from shared.local.gateway import Cors, Gateway
from shared.local.lambda_runtime import LocalFunction
from shared.local.template import load
from tests.fixture_gateway import serving

ROOT = Path(__file__).resolve().parents[2]
APP = "https://app.echelonx.example"
UNKNOWN_ID = "01JDEM00000000000000000000"


def echo(event, context):
    """A function that answers with the event it received, and CORS headers of its own (which API
    Gateway drops once the API configures CORS)."""
    return {"statusCode": 200, "body": json.dumps(event),
            "headers": {"content-type": "application/json", "access-control-allow-origin": "https://evil.example",
                        "vary": "accept-encoding"}}


def _gateway(cors, parameters: dict | None = None):
    template = {"Parameters": {k: {"Type": "String", "Default": v} for k, v in (parameters or {}).items()},
                "Resources": {"HttpApi": {"Type": "AWS::Serverless::HttpApi",
                                          "Properties": {} if cors is None else {"CorsConfiguration": cors}}}}
    route = {"Type": "HttpApi", "Properties": {"Method": "POST", "Path": "/echo", "Auth": {"Authorizer": "NONE"}}}
    aws = EmbeddedAws(stack="gateway-http")  # never started: it only resolves the template's intrinsics
    fn = LocalFunction("EchoFunction", __name__, "echo", aws.function_arn("EchoFunction"), 128, 3, {"Api": route})
    return Gateway(template, {"EchoFunction": fn}, aws)


@pytest.fixture
def serve():
    """serve(gateway) → its base URL, for the test's duration."""
    with contextlib.ExitStack() as stack:
        yield lambda gateway: stack.enter_context(serving(gateway))


def _cors_headers(response) -> dict:
    return {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-control-")
            or k.lower() == "vary"}


def _preflight(base: str, path: str, origin: str, method: str, headers: str | None = None):
    asked = {"origin": origin, "access-control-request-method": method}
    if headers is not None:
        asked["access-control-request-headers"] = headers
    return requests.options(base + path, headers=asked, timeout=10)


# --- template.yaml's CORS, through the product's runtime ---------------------------------------------------------


@pytest.fixture
def no_function_runs(monkeypatch):
    def refuse(self, event):
        raise AssertionError(f"{self.logical_id} was invoked for a preflight")

    monkeypatch.setattr(LocalFunction, "invoke", refuse)


def test_a_preflight_is_answered_by_the_gateway_from_the_templates_configuration(local, no_function_runs):
    # CorsAllowedOrigin defaults to "*" (a !Ref the gateway resolves); no token, and no function runs.
    for path in (f"/users/{UNKNOWN_ID}", "/no/such/route"):
        r = _preflight(local.url, path, APP, "PATCH", "Authorization, Content-Type, If-Match")
        assert r.status_code == 204 and r.content == b""
        assert _cors_headers(r) == {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
            "access-control-allow-headers": "authorization,content-type,if-match,x-correlation-id",
            "access-control-max-age": "600"}


def test_a_preflight_for_a_method_or_header_not_configured_gets_no_cors_headers(local, no_function_runs):
    assert _cors_headers(_preflight(local.url, "/users", APP, "TRACE")) == {}
    refused = _preflight(local.url, "/users", APP, "GET", "authorization, x-api-key")
    assert refused.status_code == 204 and _cors_headers(refused) == {}


def test_answers_to_an_origin_carry_allow_origin_and_expose_headers(api):
    cors = {"access-control-allow-origin": "*", "access-control-expose-headers": "etag,x-correlation-id,retry-after"}
    from_gateway = api.get(f"/users/{UNKNOWN_ID}", headers={"origin": APP})  # no token: API Gateway's 401
    assert from_gateway.status_code == 401 and _cors_headers(from_gateway) == cors
    from_function = api.post("/auth/login", json={"email": "nobody"}, headers={"origin": APP})
    assert from_function.status_code == 400 and _cors_headers(from_function) == cors
    assert _cors_headers(api.post("/auth/login", json={"email": "nobody"})) == {}  # no Origin, no CORS


# --- other configurations, on a gateway of the test's own --------------------------------------------------------


def _templates_cors(origin_default: str, **changes) -> tuple[dict, dict]:
    """template.yaml's CorsConfiguration (its !Ref as written) with `changes`, and its parameters
    with CorsAllowedOrigin defaulting to `origin_default`."""
    template = load(ROOT / "template.yaml")
    cors = {**copy.deepcopy(template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]), **changes}
    assert cors["AllowOrigins"] == [{"Ref": "CorsAllowedOrigin"}]
    return cors, {"CorsAllowedOrigin": origin_default}


def test_a_named_origin_is_echoed_with_vary_and_credentials_and_another_origin_gets_nothing(serve):
    cors, parameters = _templates_cors(APP, AllowCredentials=True)
    base = serve(_gateway(cors, parameters))
    allowed = _preflight(base, "/echo", APP, "POST", "content-type")
    assert allowed.status_code == 204
    assert _cors_headers(allowed) == {
        "access-control-allow-origin": APP, "vary": "origin", "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
        "access-control-allow-headers": "authorization,content-type,if-match,x-correlation-id",
        "access-control-max-age": "600"}
    other = _preflight(base, "/echo", "https://elsewhere.example", "POST", "content-type")
    assert other.status_code == 204 and _cors_headers(other) == {}

    plain = requests.post(base + "/echo", json={}, headers={"origin": APP}, timeout=10)
    # The function's own allow-origin is dropped; its vary is kept, with origin added.
    assert _cors_headers(plain) == {
        "access-control-allow-origin": APP, "vary": "accept-encoding, origin",
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "etag,x-correlation-id,retry-after"}
    elsewhere = requests.post(base + "/echo", json={}, headers={"origin": "https://elsewhere.example"}, timeout=10)
    assert _cors_headers(elsewhere) == {"vary": "accept-encoding"}


def test_a_scheme_wildcard_admits_that_scheme_only_and_wildcards_answer_what_was_asked(serve):
    base = serve(_gateway({"AllowOrigins": ["http://*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]}))
    local_app = _preflight(base, "/echo", "http://localhost:5173", "DELETE", "authorization, x-thing")
    assert _cors_headers(local_app) == {
        "access-control-allow-origin": "http://localhost:5173", "vary": "origin",
        "access-control-allow-methods": "DELETE", "access-control-allow-headers": "authorization,x-thing"}
    assert _cors_headers(_preflight(base, "/echo", APP, "DELETE")) == {}


def test_without_a_cors_configuration_a_preflight_is_routed_like_any_request(serve):
    base = serve(_gateway(None))
    r = _preflight(base, "/echo", APP, "POST")
    assert r.status_code == 404 and r.json() == {"message": "Not Found"} and _cors_headers(r) == {}


def test_configurations_sam_accepts_and_the_one_it_refuses():
    assert Cors.of(True).origins == ("*",)
    assert Cors.of(APP).origins == (APP,)
    assert Cors.of(None) is None
    with pytest.raises(ValueError, match="AllowCredentials"):
        Cors.of({"AllowOrigins": ["*"], "AllowCredentials": True})


# --- bodies as API Gateway hands them to the function ------------------------------------------------------------


@pytest.mark.parametrize(("content_type", "as_text"), [
    ("application/x-www-form-urlencoded", False),
    ("multipart/form-data; boundary=x", False),
    ("application/octet-stream", False),
    (None, False),
    ("application/json", True),
    ("application/json; charset=utf-8", True),
    ("text/plain", True),
    ("application/xml", True),
])
def test_a_body_arrives_as_text_only_for_textual_media_types(serve, content_type, as_text):
    base = serve(_gateway(None))
    sent = b"To=%2B15550100&Body=caf%C3%A9+ok" if not as_text else "café ok".encode()
    headers = {"content-type": content_type} if content_type else {}
    event = requests.post(base + "/echo", data=sent, headers=headers, timeout=10).json()  # bytes: no type added
    assert event["headers"].get("content-type") == content_type
    assert event["isBase64Encoded"] is (not as_text)
    assert (event["body"].encode() if as_text else base64.b64decode(event["body"])) == sent


def test_a_form_post_arrives_base64_encoded_with_the_forwarding_headers(serve):
    base = serve(_gateway(None))
    event = requests.post(base + "/echo?x=1", data={"MessageSid": "SM1", "Body": "hi there"}, timeout=10).json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"MessageSid=SM1&Body=hi+there"
    assert event["headers"]["content-type"] == "application/x-www-form-urlencoded"
    port = base.rsplit(":", 1)[1]
    assert {k: event["headers"][k] for k in ("x-forwarded-for", "x-forwarded-proto", "x-forwarded-port")} == \
        {"x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "http", "x-forwarded-port": port}
    assert event["requestContext"]["domainName"] == f"127.0.0.1:{port}"
