"""An email's attachments and a body too large for its item go to S3 (AttachmentBucket); the item and the
send queue's message carry references only, and the sender attaches the stored bytes through the sendgrid
SDK's Attachment helpers, read here from the SendGrid fake's outbox.

Shown here: two attachments (one of 1 MB) reaching SendGrid byte for byte while the item and the SQS message
stay small; a 400 KB html body sent whole from S3; bad base64, too many or too large attachments refused
naming the field; an S3 that refuses the put answering 503 with nothing recorded; an attachment gone from
the bucket failing the email at once (`attachment_missing`); the API and the export never giving the content
back."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from contextlib import contextmanager

import pytest
from botocore.awsrequest import AWSResponse

from shared import clock
from shared.ids import new_id
from tests.exports import finished

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def staff(api, local):
    from shared.settings import store as settings

    creds = local.logins["super_admin"]
    sa = api.post("/auth/login", json={"email": creds["email"], "password": creds["password"]}).json()["access_token"]
    r = api.post("/clients", token=sa, json={"name": f"Attachments Co {new_id()}", "subscription_tier": "premium"})
    assert r.status_code == 201, r.text
    client_id = r.json()["id"]
    # Retries a second or two apart and no quiet hours, as in test_communications.
    settings.put("client", client_id, None, "messaging.retry_policy",
                 {"max_attempts": 3, "backoff_base_seconds": 1, "backoff_cap_seconds": 2},
                 description=None, actor=None, operation="setSetting")
    settings.put("client", client_id, None, "messaging.quiet_hours", {}, description=None, actor=None,
                 operation="setSetting")
    tokens = {}
    for role in ("manager", "admin"):
        email = f"{role}-{new_id().lower()}@attachments.example"
        r = api.post("/users", token=sa, json={"email": email, "role": role, "password": PASSWORD,
                                               "client_id": client_id})
        assert r.status_code == 201, r.text
        tokens[role] = api.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
    return tokens


@pytest.fixture
def manager(staff):
    return staff["manager"]


@pytest.fixture
def fakes(local):
    local.provider_fakes.state.clear_faults()
    yield local.provider_fakes
    local.provider_fakes.state.clear_faults()


def _email(subject, **fields):
    return {"channel": "email", "to_email": "ada@example.com", "from_email": "shop@example.com",
            "subject": subject, "content": "Your documents are attached.", **fields}


def _file(filename, data, **fields):
    return {"filename": filename, "type": fields.pop("type", "application/pdf"),
            "content": base64.b64encode(data).decode(), **fields}


def _run(local, seconds: float = 0) -> None:
    if seconds:
        clock.advance(seconds)
    local.poller.settle("sqs")


def _mail(fakes, subject):
    return [m for m in fakes.outbox("sendgrid") if m["subject"] == subject]


def _get(api, token, comm_id):
    r = api.get(f"/communications/{comm_id}", token=token)
    assert r.status_code == 200, r.text
    return r.json()


def _item_bytes(local, comm):
    """The communication's item as DynamoDB stores it, in bytes of its JSON (near its billed size)."""
    from shared.communications.store import comm_key

    item = local.aws.client("dynamodb").get_item(TableName=local.aws.names["Table"], Key={
        "PK": {"S": comm_key(comm["client_id"], comm["id"])}, "SK": {"S": "COMM"}})["Item"]
    return len(json.dumps(item).encode())


@contextmanager
def _sent_to_sqs():
    """The bodies of the messages put on any queue meanwhile (the functions share the process's client)."""
    from shared.core import aws

    bodies: list[str] = []

    def keep(params=None, **_):
        for entry in (params or {}).get("Entries") or [params or {}]:
            if "MessageBody" in entry:
                bodies.append(entry["MessageBody"])

    events = aws.client("sqs").meta.events
    for call in ("SendMessageBatch", "SendMessage"):
        events.register(f"provide-client-params.sqs.{call}", keep, unique_id="test-sqs-bodies")
    try:
        yield bodies
    finally:
        for call in ("SendMessageBatch", "SendMessage"):
            events.unregister(f"provide-client-params.sqs.{call}", unique_id="test-sqs-bodies")


def test_two_attachments_reach_sendgrid_whole_and_the_item_and_message_stay_small(api, local, staff, manager, fakes):
    report, logo = os.urandom(1024 * 1024), os.urandom(2048)
    subject = f"Documents {new_id()}"
    with _sent_to_sqs() as bodies:
        r = api.post("/communications", token=manager, json=_email(
            subject, html='<p>See the report. <img src="cid:logo"></p>',
            attachments=[_file("report.pdf", report),
                         _file("logo.png", logo, type="image/png", disposition="inline", content_id="logo")]))
        assert r.status_code == 202, r.text
    comm = r.json()
    assert [(a["filename"], a["type"], a["size"], a["sha256"]) for a in comm["attachments"]] == [
        ("report.pdf", "application/pdf", len(report), hashlib.sha256(report).hexdigest()),
        ("logo.png", "image/png", len(logo), hashlib.sha256(logo).hexdigest())]
    assert all("content" not in a and "key" not in a for a in comm["attachments"])
    [message] = [b for b in bodies if comm["id"] in b]
    assert len(message.encode()) < 1024  # a 1 MB file, and the message is a few hundred bytes of 256 KB
    assert _item_bytes(local, comm) < 4096  # references only, of DynamoDB's 400 KB

    _run(local)
    sent = _get(api, manager, comm["id"])
    assert sent["status"] == "sent", sent
    [mail] = _mail(fakes, subject)
    assert mail["html"] == '<p>See the report. <img src="cid:logo"></p>'
    got = {a["filename"]: a for a in mail["attachments"]}
    assert base64.b64decode(got["report.pdf"]["content"]) == report
    assert base64.b64decode(got["logo.png"]["content"]) == logo
    assert got["report.pdf"]["disposition"] == "attachment" and got["report.pdf"]["type"] == "application/pdf"
    assert (got["logo.png"]["disposition"], got["logo.png"]["content_id"]) == ("inline", "logo")

    # Every way of reading it shows the references, never the content.
    encoded = base64.b64encode(report).decode()[:64]
    answers = [api.get(f"/communications/{comm['id']}", token=manager),
               api.get("/communications", token=manager, params={"channel": "email"}),
               api.get(f"/communications/timeline?communication_id={comm['id']}", token=manager)]
    for answer in answers:
        assert answer.status_code == 200 and encoded not in answer.text and "attachments/" not in answer.text
    _, exported = finished(api, api.post("/communications/export", token=staff["admin"]), staff["admin"])
    [line] = [json.loads(line)["data"] for line in exported.splitlines() if comm["id"] in line]
    assert line["attachments"] == sent["attachments"] == comm["attachments"]
    assert encoded not in exported and "attachments/" not in exported


def test_a_body_too_large_for_the_item_is_sent_whole_from_s3(api, local, manager, fakes):
    subject = f"Newsletter {new_id()}"
    html = "<p>" + "news of the week " * 25_000 + "</p>"  # 425 KB: more than an item can safely hold
    text = "news of the week, in plain text; " * 12_000 + "the end"  # 396 KB
    r = api.post("/communications", token=manager, json=_email(subject, content=text, html=html))
    assert r.status_code == 202, r.text
    comm = r.json()
    assert comm["content_ref"]["size"] > len(html) + len(text) and "key" not in comm["content_ref"]
    assert comm["html"] is None and text.startswith(comm["content"]) and len(comm["content"]) == 1000
    assert _item_bytes(local, comm) < 300_000
    _run(local)
    assert _get(api, manager, comm["id"])["status"] == "sent"
    [mail] = _mail(fakes, subject)
    assert mail["html"] == html and mail["body"] == text  # never truncated


@pytest.mark.parametrize(("change", "field"), [
    (lambda b: b["attachments"][0].update(content="not base64!"), "/body/attachments/0/content"),
    (lambda b: b["attachments"][0].update(filename="../etc/passwd"), "/body/attachments/0/filename"),
    (lambda b: b["attachments"][0].update(type="pdf"), "/body/attachments/0/type"),
    (lambda b: b["attachments"][0].update(disposition="inline"), "/body/attachments/0/content_id"),
    (lambda b: b.update(attachments=b["attachments"] * 11), "/body/attachments"),
    (lambda b: b.update(attachments=[_file("big.bin", b"\0" * (4 * 1024 * 1024 + 1))]), "/body/attachments"),
    (lambda b: b.update(channel="sms", to_number="+14155550123", from_number="+15005550006",
                        to_email=None, from_email=None), "/body/attachments"),
    # Besides its body and files, the item holds what it is given: bounded, as the 256 KB request bounded it.
    (lambda b: b.update(metadata={"notes": "x" * 70_000}), "/body/metadata"),
])
def test_bad_attachments_are_refused_naming_the_field(api, manager, change, field):
    body = _email(f"Refused {new_id()}", attachments=[_file("a.pdf", b"%PDF-1.7")])
    change(body)
    r = api.post("/communications", token=manager, json={k: v for k, v in body.items() if v is not None})
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field, r.text


@contextmanager
def _s3_refuses_puts():
    from shared.core import aws

    def refuse(**_):
        parsed = {"Error": {"Code": "SlowDown", "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": 503}}
        return AWSResponse("https://s3.local", 503, {}, None), parsed

    events = aws.client("s3").meta.events
    events.register("before-call.s3.PutObject", refuse, unique_id="test-s3-fault")
    try:
        yield
    finally:
        events.unregister("before-call.s3.PutObject", unique_id="test-s3-fault")


def test_an_attachment_s3_does_not_take_fails_the_request_and_records_nothing(api, local, manager, fakes):
    subject = f"Not stored {new_id()}"
    with _s3_refuses_puts():
        r = api.post("/communications", token=manager, json=_email(subject, attachments=[_file("a.pdf", b"%PDF")]))
    assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
    listed = api.get("/communications", token=manager, params={"channel": "email", "limit": 100}).json()["items"]
    assert subject not in [c["subject"] for c in listed]
    _run(local)
    assert _mail(fakes, subject) == []


def test_an_attachment_gone_from_the_bucket_fails_the_email_at_once(api, local, manager, fakes):
    subject = f"Gone {new_id()}"
    fakes.inject_fault("sendgrid", "500")  # the first attempt is unconfirmed: the email waits its window
    r = api.post("/communications", token=manager, json=_email(subject, attachments=[_file("a.pdf", b"%PDF")]))
    assert r.status_code == 202, r.text
    comm = r.json()
    _run(local)
    assert _get(api, manager, comm["id"])["provider_status"] == "unknown"
    s3, bucket = local.aws.client("s3"), local.aws.names["AttachmentBucket"]
    for listed in s3.list_objects_v2(Bucket=bucket, Prefix=f"attachments/{comm['client_id']}/{comm['id']}/")["Contents"]:
        s3.delete_object(Bucket=bucket, Key=listed["Key"])
    _run(local, 601)  # the window has passed: attempt 2 is queued after a backoff, and finds the file gone
    _run(local, 3)
    failed = _get(api, manager, comm["id"])
    assert (failed["status"], failed["error_code"]) == ("failed", "attachment_missing"), failed
    assert "a.pdf" in failed["error_message"] and _mail(fakes, subject) == []
    _run(local, 30)
    assert _get(api, manager, comm["id"])["version"] == failed["version"]  # failed once, no retry loop


def test_a_bulk_create_stores_each_email_s_attachments(api, local, manager, fakes):
    subject, data = f"Bulk {new_id()}", os.urandom(50_000)
    r = api.post("/communications/bulk", token=manager, json={"communications": [
        _email(subject, attachments=[_file("invoice.pdf", data)]),
        {"channel": "sms", "to_number": "+14155550123", "from_number": "+15005550006", "content": "hi",
         "attachments": [_file("a.pdf", b"%PDF")]}]})
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["status"] == 202 and (second["status"], second["error"]["field"]) == (400, "/body/attachments")
    _run(local)
    assert _get(api, manager, first["id"])["status"] == "sent"
    [mail] = _mail(fakes, subject)
    assert [base64.b64decode(a["content"]) for a in mail["attachments"]] == [data]


def test_a_body_over_what_lambda_takes_is_refused_as_too_large(api, manager):
    from shared.api.operation import LAMBDA_BODY_BYTES

    r = api.post("/communications", token=manager, json=_email(
        f"Huge {new_id()}", attachments=[_file("huge.bin", b"\0" * (LAMBDA_BODY_BYTES * 3 // 4 + 1))]))
    assert (r.status_code, r.json()["field"]) == (413, "/body"), r.text
