"""importMembers and getMemberImport: an import job, a pre-signed S3 PUT for its CSV, and its progress.

The upload itself starts the job: the import bucket notifies the import queue of every object created
under `imports/` (template.yaml: the queue's policy lets s3.amazonaws.com send from that bucket only),
and the worker (`shared.members.import_worker`) reads the file from there.

Job: PK `T#<client>#IMPORT#<job>`, SK `IMPORT`; GSI1 `T#<client>#IMPORTS` lists a tenant's jobs. Each
bad row is an item beside it (SK `FAILURE#<line>`), written in the transaction that moves the
checkpoint past the row, so a resumed job reports it exactly once; the results file is written from
them at the end. The uploaded file is `imports/<client>/<job>.csv`, the results
`results/<client>/<job>.csv`; the bucket's lifecycle deletes both after 7 days, and the job's TTL follows.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from shared import audit, clock
from shared.core import aws, settings
from shared.db.table import Item, tenant_key
from shared.db.tx import Tx
from shared.errors import NotFound
from shared.ids import new_id
from shared.members.service import tenant_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from shared.core.actor import Scope

KEEP_S = 7 * 24 * 3600  # as the bucket's lifecycle rule
UPLOAD_TTL_S = 900
URL_TTL_S = 900
CONTENT_TYPE = "text/csv"
_UPLOAD_KEY = re.compile(r"^imports/(?P<client>[^/]+)/(?P<job>[0-9A-HJKMNP-TV-Z]{26})\.csv$")


class ImportJob(Item, discriminator="MEMBER_IMPORT"):
    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    status = UnicodeAttribute()  # waiting_for_upload | running | completed | failed
    requested_by = UnicodeAttribute(null=True)
    requested_role = UnicodeAttribute(null=True)  # the worker writes the audit entries as the requester
    s3_key = UnicodeAttribute()
    results_key = UnicodeAttribute()
    size = NumberAttribute(null=True)
    columns = JSONAttribute(null=True)  # the header (a list of names), kept for resuming mid-file
    rows_read = NumberAttribute(default=0)
    rows_created = NumberAttribute(default=0)
    rows_updated = NumberAttribute(default=0)
    rows_unchanged = NumberAttribute(default=0)
    rows_failed = NumberAttribute(default=0)
    # The checkpoint: bytes of the file done (the next row starts there) and physical lines done.
    bytes_read = NumberAttribute(default=0)
    lines_read = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    error_message = UnicodeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    started_at = NumberAttribute(null=True)
    completed_at = NumberAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()

    hidden = frozenset({"lease_owner", "lease_until", "lines_read", "requested_role"})

    def keys(self):
        return {"PK": job_key(self.client_id, self.id), "SK": "IMPORT",
                "GSI1PK": tenant_key(self.client_id, "IMPORTS"), "GSI1SK": f"{int(self.created_at):015d}#{self.id}"}


class ImportFailure(Item, discriminator="MEMBER_IMPORT_FAILURE"):
    """One bad row: its line, its member_id as written, and each (column, reason)."""

    client_id = UnicodeAttribute()
    job_id = UnicodeAttribute()
    line = NumberAttribute()
    member_id = UnicodeAttribute(null=True)
    errors = JSONAttribute()  # [[column, reason], ...]

    def keys(self):
        return {"PK": job_key(self.client_id, self.job_id), "SK": f"FAILURE#{int(self.line):012d}"}


def job_key(client_id: str, job_id: str) -> str:
    return tenant_key(client_id, "IMPORT", job_id)


def load(client_id: str, job_id: str) -> ImportJob:
    try:
        return ImportJob.get(job_key(client_id, job_id), "IMPORT", consistent_read=True)
    except ImportJob.DoesNotExist:
        raise NotFound("import not found") from None


def start(scope: Scope) -> dict:
    """importMembers: the job and its audit entry in one transaction, and the URL to upload the CSV to."""
    job = create_job(scope.actor, tenant_of(scope))
    url = aws.client("s3").generate_presigned_url(
        "put_object", ExpiresIn=UPLOAD_TTL_S,
        Params={"Bucket": settings.IMPORT_BUCKET.get(), "Key": job.s3_key, "ContentType": CONTENT_TYPE})
    return {"job_id": job.id, "status": job.status, "href": f"/members/imports/{job.id}",
            "upload": {"url": url, "method": "PUT", "headers": {"content-type": CONTENT_TYPE},
                       "expires_in": UPLOAD_TTL_S}}


def create_job(actor, client_id: str) -> ImportJob:
    """A job waiting for its upload, with its audit entry, in one transaction."""
    now, job_id = clock.now_ms(), new_id()
    job = ImportJob(id=job_id, client_id=client_id, status="waiting_for_upload",
                    requested_by=getattr(actor, "user_id", None), requested_role=getattr(actor, "role", None), s3_key=f"imports/{client_id}/{job_id}.csv",
                    results_key=f"results/{client_id}/{job_id}.csv", created_at=now, updated_at=now,
                    expires_at=now // 1000 + KEEP_S, version=1)
    tx = Tx()
    tx.put(job, condition=ImportJob.PK.does_not_exist())
    audit.record(tx, actor, "member_import", job.id, "importMembers", None, job.public(), client_id=client_id)
    tx.commit()
    return job


def get(scope: Scope, job_id: str) -> dict:
    """getMemberImport: status and progress; a pre-signed URL of the results file once completed."""
    job = load(tenant_of(scope), job_id)
    out = {"job_id": job.id, **{k: v for k, v in job.public().items() if k != "id"}}
    if job.status == "completed":
        out["results_url"] = aws.client("s3").generate_presigned_url(
            "get_object", ExpiresIn=URL_TTL_S,
            Params={"Bucket": settings.IMPORT_BUCKET.get(), "Key": job.results_key,
                    "ResponseContentDisposition": f'attachment; filename="import-{job.id}-results.csv"'})
        out["url_expires_in"] = URL_TTL_S
    return out


def failures(client_id: str, job_id: str) -> Iterator[ImportFailure]:
    """The job's bad rows in line order, read by key a page at a time."""
    yield from ImportFailure.query(job_key(client_id, job_id), ImportFailure.SK.startswith("FAILURE#"),
                                   page_size=500)


def uploaded(key: str) -> tuple[str, str] | None:
    """(client, job) of an uploaded file's S3 key as an event names it (URL-encoded), or None."""
    found = _UPLOAD_KEY.match(unquote_plus(key))
    return (found["client"], found["job"]) if found else None


def enqueue(client_id: str, job_id: str) -> None:
    """Queue the job again (the worker hands a long file on to a fresh invocation)."""
    aws.client("sqs").send_message(QueueUrl=settings.IMPORT_QUEUE_URL.get(),
                                    MessageBody=json.dumps({"client_id": client_id, "job_id": job_id}))


# --- the file format ---------------------------------------------------------------------------------
# UTF-8 (a byte-order mark is skipped), RFC 4180 quoting, a header row of createMember's field names.
# An empty cell gives no value (an update leaves that field as it is). Lists (tags) are written
# `vip|newsletter`; JSON fields (preferences, ...) as JSON text; dates (date_of_birth, last_active) as
# ISO 8601 (`1990-05-17`, `2025-01-31T09:30:00Z`) or epoch milliseconds.
LIST_SEPARATOR = "|"
DATE_COLUMNS = ("date_of_birth", "last_active")
BOM = b"\xef\xbb\xbf"


def columns() -> tuple[str, ...]:
    """The columns a file may have: the fields createMember accepts."""
    from shared.members.models.changes import MemberCreate

    return tuple(MemberCreate.model_fields)


def _kinds() -> tuple[frozenset[str], frozenset[str]]:
    """(list columns, JSON columns), from the model's annotations."""
    import typing

    from shared.members.models.changes import MemberCreate

    lists, json_ = set(), set()
    for name, info in MemberCreate.model_fields.items():
        if info.annotation is typing.Any:
            json_.add(name)
        elif "list[" in str(info.annotation):
            lists.add(name)
    return frozenset(lists), frozenset(json_)


def check_header(header: list[str]) -> str | None:
    """Why a header is refused (unknown or repeated columns, no member_id), or None."""
    known = set(columns())
    names = [h.strip() for h in header]
    unknown = [h for h in names if h not in known]
    if unknown:
        return f"unknown columns: {', '.join(unknown)} (known: {', '.join(columns())})"
    repeated = sorted({h for h in names if names.count(h) > 1})
    if repeated:
        return f"repeated columns: {', '.join(repeated)}"
    if "member_id" not in names:
        return "the member_id column is required"
    return None


def cells(header: list[str], values: list[str]) -> tuple[dict, list[tuple[str, str]]]:
    """A row's given values, converted to what createMember's body holds, and its errors (column, reason)."""
    if len(values) != len(header):
        return {}, [("", f"{len(values)} cells where the header has {len(header)}")]
    lists, json_ = _kinds()
    out: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for name, raw in zip(header, values, strict=True):
        name, text = name.strip(), raw.strip()
        if not text:
            continue
        if name in lists:
            out[name] = [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]
        elif name in json_:
            try:
                out[name] = json.loads(text)
            except ValueError as exc:
                errors.append((name, f"not JSON: {exc}"))
        elif name in DATE_COLUMNS:
            when = _epoch_ms(text)
            if when is None:
                errors.append((name, "not a date: write YYYY-MM-DD, an ISO 8601 time or epoch milliseconds"))
            else:
                out[name] = when
        else:
            out[name] = text
    return out, errors


def _epoch_ms(text: str) -> int | None:
    from datetime import UTC, datetime

    if text.lstrip("-").isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() * 1000)
