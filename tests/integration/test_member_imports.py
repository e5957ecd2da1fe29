"""Bulk member import through the gateway: importMembers signs the upload, the PUT itself starts the job
(S3 → SQS under the queue's policy → runMemberImport), and the job shows its progress and results.
About 500 rows with 1% bad ones, a crash mid-file whose lease is taken over, and a re-run of the same file."""

from __future__ import annotations

import csv
import io
import json

import pytest
import requests

from shared import clock
from shared.ids import new_id
from tests import tenants
from tests.eventually import eventually

PASSWORD = "correct-horse-battery"
ROWS = 500
BAD = {57: ("email", "not-an-email"), 140: ("tier", "platinum-plus"), 233: ("timezone", "Mars/Olympus"),
       311: ("referred_by", new_id()), 420: ("date_of_birth", "17/05/1990")}


def _login(api, email, password=PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture(scope="module")
def tenant(api, local):
    return tenants.two_tenants(api, tenants.super_admin(api, local), "Import Co", "imports.example",
                               roles=("manager", "user"), default_country="GB")


def _file(prefix: str) -> bytes:
    """ROWS members, the rows of BAD broken in the column named; a BOM, CRLF and RFC 4180 quoting."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["member_id", "first_name", "email", "phone", "tier", "tags", "preferences", "notes",
                     "date_of_birth", "timezone", "referred_by"])
    for n in range(1, ROWS + 1):
        row = {"member_id": f"{prefix}-{n:04d}", "first_name": f"Zoë {n}", "email": f"{prefix}.{n}@Example.com",
               "phone": f"020 7946 {n:04d}", "tier": ("basic", "premium", "elite")[n % 3], "tags": "vip|newsletter",
               "preferences": json.dumps({"sms": n % 2 == 0}), "notes": f"line one, of {n}\nline two",
               "date_of_birth": "1990-05-17", "timezone": "Europe/London", "referred_by": ""}
        if n + 1 in BAD:  # the file's line of a row is its number + 1 (the header is line 1) ...
            column, value = BAD[n + 1]
            row[column] = value
        writer.writerow(row.values())
    # ... but each quoted note spans two lines: the results name physical lines.
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def _line_of(n: int) -> int:
    return 2 + (n - 1) * 2


def _start(api, token) -> dict:
    r = api.post("/members/imports", token=token)
    assert r.status_code == 201, r.text
    return r.json()


def _upload(started: dict, data: bytes) -> None:
    upload = started["upload"]
    r = requests.put(upload["url"], data=data, headers=upload["headers"], timeout=30)
    assert r.status_code == 200, r.text


def _job(api, token, started) -> dict:
    r = api.get(started["href"], token=token)
    assert r.status_code == 200, r.text
    return r.json()


def _finished(api, token, started) -> dict:
    def done():
        job = _job(api, token, started)
        return job["status"] in ("completed", "failed") and job

    return eventually(done, 240)  # a shared 2-core machine under load: minutes, not seconds


class _Crash:
    """The worker dies after `after` chunks (its lease left held, as a killed Lambda leaves it)."""

    def __init__(self, after: int):
        self.after, self.chunks, self.crashed = after, 0, False

    def install(self, monkeypatch):
        from shared.members import import_worker

        apply = import_worker._Writer.apply

        def dying(writer, records):
            if records and not self.crashed:
                if self.chunks == self.after:
                    self.crashed = True
                    raise RuntimeError("the worker was killed")
                self.chunks += 1
            return apply(writer, records)

        monkeypatch.setattr(import_worker._Writer, "apply", dying)


def test_an_import_survives_a_crash_and_a_rerun_changes_nothing(api, local, tenant, monkeypatch):
    from shared.members import imports

    manager, prefix = tenant["manager"], f"I{new_id()[-6:]}"
    data = _file(prefix)
    crash = _Crash(after=2)
    crash.install(monkeypatch)
    started = _start(api, manager)
    assert started["status"] == "waiting_for_upload" and started["upload"]["expires_in"] == 900
    assert f"imports/{tenant['id']}/{started['job_id']}.csv" in started["upload"]["url"]
    _upload(started, data)

    # Two chunks committed, then the crash: the job holds their rows and its lease, nothing more.
    eventually(lambda: crash.crashed, 240)
    local.poller.settle("sqs")
    halfway = _job(api, manager, started)
    assert halfway["status"] == "running" and halfway["rows_read"] == 200 and halfway["rows_failed"] == 2
    assert 0 < halfway["bytes_read"] < halfway["size"] == len(data)
    # A second delivery while the lease is live leaves the job alone.
    imports_queue = local.aws.names["ImportQueue"]
    local.aws.client("sqs").send_message(QueueUrl=imports_queue, MessageBody=json.dumps(
        {"client_id": tenant["id"], "job_id": started["job_id"]}))
    local.poller.settle("sqs")
    assert _job(api, manager, started)["rows_read"] == 200

    # Past the queue's visibility timeout the upload's message comes back; the dead lease is taken over.
    clock.advance(361)
    job = _finished(api, manager, started)
    assert job["status"] == "completed", job
    assert (job["rows_read"], job["rows_created"], job["rows_updated"], job["rows_failed"]) == (ROWS, ROWS - 5, 0, 5)
    assert job["bytes_read"] == len(data) and job["columns"][0] == "member_id"

    results = list(csv.reader(io.StringIO(requests.get(job["results_url"], timeout=10).text)))
    assert results[0] == ["line", "member_id", "column", "reason"]
    assert [(int(line), column) for line, _, column, _ in results[1:]] == [
        (_line_of(n - 1), column) for n, (column, _) in sorted(BAD.items())]
    assert results[4][3] == "names no member of this client"

    # Every good row is one member, once, normalised as createMember does.
    from shared.members import store

    held = store.find_by_claim(store.member_id_key(tenant["id"], f"{prefix}-0010"))
    assert held is not None and held.version == 1
    assert held.email == f"{prefix}.10@example.com".lower() and held.phone == "+442079460010"
    assert held.tags == ["vip", "newsletter"] and held.preferences == {"sms": True}
    assert held.notes == "line one, of 10\nline two" and held.referral_code and held.tier == "premium"
    listed = sum(1 for m in store.Member.gsi1.query(store.members_partition(tenant["id"]))
                 if m.member_id.startswith(prefix))
    assert listed == ROWS - 5

    # The same file again: nothing written, every good row counted as unchanged.
    again = _start(api, manager)
    _upload(again, data)
    rerun = _finished(api, manager, again)
    assert (rerun["rows_created"], rerun["rows_updated"], rerun["rows_unchanged"], rerun["rows_failed"]) == (
        0, 0, ROWS - 5, 5)
    assert store.get(tenant["id"], held.id).version == 1

    # A changed row updates only what it gives.
    changed = _start(api, manager)
    _upload(changed, f"member_id,tier\n{prefix}-0010,elite\n{prefix}-0011,elite\n".encode())
    done = _finished(api, manager, changed)
    assert (done["rows_updated"], done["rows_unchanged"]) == (1, 1), done
    after = store.get(tenant["id"], held.id)
    assert after.tier == "elite" and after.version == 2 and after.email == held.email
    assert imports.load(tenant["id"], changed["job_id"]).lease_until is None


def test_unknown_columns_refuse_the_whole_file_by_name(api, tenant):
    started = _start(api, tenant["manager"])
    _upload(started, b"member_id,emial,shoe_size\nM-1,a@example.com,42\n")
    job = _finished(api, tenant["manager"], started)
    assert job["status"] == "failed" and job["rows_read"] == 0
    assert "unknown columns: emial, shoe_size" in job["error_message"]
    empty = _start(api, tenant["manager"])
    _upload(empty, b"")
    assert "the file is empty" in _finished(api, tenant["manager"], empty)["error_message"]


def test_an_import_is_its_tenants_and_needs_members_act(api, tenant):
    started = _start(api, tenant["manager"])
    assert api.get(started["href"], token=tenant["other_admin"]).status_code == 404
    assert api.get(started["href"], token=tenant["user"]).status_code == 403
    assert api.post("/members/imports", token=tenant["user"]).status_code == 403


def test_an_upload_the_queue_policy_does_not_allow_is_not_delivered(api, local, tenant):
    from shared.local import s3_notifications

    sqs, queue = local.aws.client("sqs"), local.aws.names["ImportQueue"]
    policy = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert "aws:SourceArn" in policy
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": policy.replace("-imports-", "-other-")})
    try:
        started = _start(api, tenant["manager"])
        _upload(started, b"member_id\nP-1\n")
        local.poller.settle("sqs")
        assert _job(api, tenant["manager"], started)["status"] == "waiting_for_upload"
        assert s3_notifications.refused[-1]["bucket"] == local.aws.names["ImportBucket"]
    finally:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": policy})
