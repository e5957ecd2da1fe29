"""The webhook kind through the local gateway over HTTP, with the fixture handlers' routes as
`echelonx template` writes them: a provider's form reaches the handler as sent (bytes, fields, URL,
headers) with no authorizer on the way; it answers TwiML, or nothing (204, or the 200 it declares);
what it cannot take is a problem+json 4xx naming the field."""

from __future__ import annotations

import importlib
import json

import pytest
import requests

from tests.fixture_gateway import FIXTURES, PACKAGE, fixture_gateway, serving

FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    with serving(fixture_gateway(tmp_path_factory.mktemp("webhooks"))) as url:
        yield url


@pytest.fixture
def replies():
    return importlib.import_module("fixture_handlers.jobs.reply_to_message").RECEIVED


@pytest.fixture
def deliveries():
    return importlib.import_module("fixture_handlers.jobs.record_delivery").RECEIVED


def test_the_template_entry_is_a_public_http_api_route():
    from shared.local.functions import discover
    from shared.local.template import render

    fn = next(f for f in discover(FIXTURES, PACKAGE) if f.spec.name == "replyToMessage")
    entry = render([fn])
    assert "Type: HttpApi" in entry and "Method: POST" in entry and "Path: /hooks/messages" in entry
    assert "Authorizer: NONE" in entry and "MemorySize: 512" in entry and "Timeout: 10" in entry


def test_a_form_post_reaches_the_webhook_as_sent_and_gets_a_twiml_answer(base, replies):
    sent = "From=%2B15550100&Body=Hi+%3Cthere%3E+%26+caf%C3%A9"
    r = requests.post(base + "/hooks/messages?attempt=1", data=sent,
                      headers={"content-type": FORM, "x-twilio-signature": "c2lnbmVk"}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"] == "application/xml"
    assert r.text == ('<?xml version="1.0" encoding="UTF-8"?>'
                      "<Response><Message>Hi &lt;there&gt; &amp; café</Message></Response>")
    req = replies[-1]
    assert req.body == sent.encode()  # the bytes as sent, decoded from API Gateway's base64
    assert req.form == {"From": "+15550100", "Body": "Hi <there> & café"}
    assert req.url == f"{base}/hooks/messages?attempt=1"  # what the provider signed
    assert req.headers["x-twilio-signature"] == "c2lnbmVk" and req.query == {"attempt": "1"}


def test_a_call_with_nothing_to_answer_gets_an_empty_204(base, replies):
    r = requests.post(base + "/hooks/messages", data={"From": "+15550100"}, timeout=10)
    assert r.status_code == 204 and r.content == b"" and "content-type" not in r.headers
    raw = json.dumps({"From": "+15550100", "Body": ""}).encode()  # JSON too: its raw bytes, no form
    r = requests.post(base + "/hooks/messages", data=raw, headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 204 and replies[-1].body == raw and replies[-1].form == {}


def test_a_declared_form_is_validated_and_answered_with_an_empty_200(base, deliveries):
    r = requests.post(base + "/hooks/deliveries", timeout=10,
                      data={"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003", "Extra": "x"})
    assert r.status_code == 200 and r.content == b""
    req, status = deliveries[-1]
    assert (status.MessageSid, status.MessageStatus, status.ErrorCode) == ("SM1", "undelivered", 30003)
    assert req.form["Extra"] == "x"  # every field the provider sent, for its signature


@pytest.mark.parametrize(("path", "body", "headers", "status", "field"), [
    ("/hooks/deliveries", "MessageSid=SM1&MessageStatus=lost", FORM, 400, "/body/MessageStatus"),
    ("/hooks/deliveries", "", FORM, 400, "/body"),
    ("/hooks/messages", "Body=hi", FORM, 400, "/body/From"),
    ("/hooks/messages", "From=a&Body=a&Body=b", FORM, 400, "/body/Body"),
    ("/hooks/messages", "From=a&Body=%FF", FORM, 400, "/body"),
    ("/hooks/messages", "Body=hi", "text/plain", 415, "/body"),
    ("/hooks/messages", "Body=" + "x" * 300_000, FORM, 413, "/body"),
])
def test_what_a_webhook_cannot_take_is_a_problem_naming_the_field(base, path, body, headers, status, field):
    r = requests.post(base + path, data=body.encode(), headers={"content-type": headers}, timeout=10)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field and r.json()["status"] == status
