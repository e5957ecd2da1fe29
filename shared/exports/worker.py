"""The export worker: a tenant's data (all of it, or the kinds of lines its job names) as JSON Lines (or,
for one kind whose source declares its columns, CSV), streamed to S3 in a multipart upload.

What an export covers is declared by each domain (`shared.db.export`): every partition of the tenant
that holds its own records, read by key in pages (never a Scan), rendered as the API shows them.
Today: the client item, the tenant's users (soft-deleted ones included), its settings and its audit log. Left out on
purpose, by not being declared: sessions (secrets), uniqueness claims, search tokens, counters and
projection markers (all derived), and export jobs.

Each line is `{"type": <source kind>, "data": {...}}`. Memory holds at most one part (PART_SIZE,
S3's minimum part size) plus one line: lines are appended to a buffer that is uploaded as a part
whenever it reaches PART_SIZE. After each part the job records the part's ETag, the items and bytes
written, and a checkpoint (the source's kind, its partition and the key of the last item in the part).
When the Lambda is close to its timeout the worker stops after a part, re-queues the job and a fresh
invocation resumes from the checkpoint, so an export of any size finishes. A lease on the job keeps a
duplicated message from running the same export twice.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.core import aws, settings
from shared.core.encoding import dumps
from shared.core.log import logger
from shared.db.export import sources
from shared.db.writes import applied
from shared.exports import service as exports
from shared.exports.store import CONTENT_TYPES, FORMAT, ExportJob, load

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from pynamodb.expressions.update import Action

PART_SIZE = 5 * 1024 * 1024
RESERVE_MS = 20_000  # stop after a part when less than this is left of the invocation
PROGRESS_EVERY = 1000  # items between progress writes inside a part
MAX_ATTEMPTS = 3  # the export queue's maxReceiveCount: the last attempt marks the job failed
LEASE_MARGIN_MS = 60_000


class LeaseLost(Exception):
    """Another invocation owns the job now: this one stops quietly."""


# --- the multipart upload -------------------------------------------------------------------------
class MultipartUpload:
    """Bytes in, parts of `part_size` out: holds at most one part (plus the write that filled it)."""

    def __init__(self, s3, bucket: str, key: str, upload_id: str, parts: list | None = None, uploaded: int = 0,
                 part_size: int = PART_SIZE):
        self.s3, self.bucket, self.key, self.upload_id = s3, bucket, key, upload_id
        self.parts, self.uploaded, self.part_size = list(parts or []), uploaded, part_size
        self.buffer = bytearray()
        self.max_buffered = 0

    @classmethod
    def begin(cls, s3, bucket: str, key: str, part_size: int = PART_SIZE,
              content_type: str = CONTENT_TYPES[FORMAT]) -> MultipartUpload:
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)["UploadId"]
        return cls(s3, bucket, key, upload_id, part_size=part_size)

    @property
    def written(self) -> int:
        return self.uploaded + len(self.buffer)

    def write(self, data: bytes) -> bool:
        """Append; True when that completed a part (now uploaded)."""
        self.buffer += data
        self.max_buffered = max(self.max_buffered, len(self.buffer))
        if len(self.buffer) < self.part_size:
            return False
        self._upload_buffer()
        return True

    def _upload_buffer(self) -> None:
        number = len(self.parts) + 1
        answer = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number,
                                     Body=bytes(self.buffer))
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self.uploaded += len(self.buffer)
        self.buffer = bytearray()

    def complete(self) -> None:
        if self.buffer or not self.parts:  # the last part may be small (or empty, for an empty export)
            self._upload_buffer()
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                          MultipartUpload={"Parts": self.parts})

    def abort(self) -> None:
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)


# --- what is exported -------------------------------------------------------------------------------
def lines(client_id: str, checkpoint: dict | None = None, kinds: list[str] | None = None,
          file_format: str = FORMAT) -> Iterator[tuple[dict, bytes]]:
    """(where this line leaves off, the line) for every exported item of the sources of `kinds` (None:
    all), after `checkpoint` if given: JSON Lines, or CSV (one kind; its header row first)."""
    found = [s for s in sources() if kinds is None or s.kind in kinds]
    start, partition, after = _resume_at(found, checkpoint)
    if file_format == "csv":
        [source] = found  # service.create_job admits CSV for one kind only
        if not source.columns:
            raise ValueError(f"the {source.kind} export source declares no CSV columns")
        if not checkpoint:  # a fresh file, not a resumed one
            yield {"source": source.kind, "partition": 0, "after": None}, _csv_row(source.columns)
    for i in range(start, len(found)):
        source = found[i]
        for number, key, item in source.read(client_id, partition if i == start else 0, after if i == start else None):
            if file_format == "csv":
                data = source.render(item)
                line = _csv_row([_cell(data.get(name)) for name in source.columns])
            else:
                line = (dumps({"type": source.kind, "data": source.render(item)}) + "\n").encode()
            yield {"source": source.kind, "partition": number, "after": key}, line


_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 .()-]*")


def _cell(value: Any) -> str:
    """A CSV cell: nested values as JSON, none as empty; text a spreadsheet would run as a formula
    (=, +, -, @, a tab or CR first, OWASP's list) gets a leading quote, unless it is a plain number or
    phone number."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return dumps(value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_row(cells: Sequence[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)  # RFC 4180's line ends
    return out.getvalue().encode()


def _resume_at(found: list, checkpoint: dict | None) -> tuple[int, int, dict | None]:
    """Index of the source, its partition and the key to resume after. A checkpoint names its source by
    kind (one written before kinds were recorded holds its index: the order then was the same)."""
    if not checkpoint:
        return 0, 0, None
    where = checkpoint["source"]
    index = where if isinstance(where, int) else [s.kind for s in found].index(where)
    return index, int(checkpoint.get("partition", 0)), checkpoint.get("after")


# --- the job ----------------------------------------------------------------------------------------
def handle(event: dict, context) -> dict:
    """An SQS batch of `{"client_id", "job_id"}` messages; failures are retried by SQS."""
    failures = []
    for record in event["Records"]:
        try:
            message = json.loads(record["body"])
            attempt = int((record.get("attributes") or {}).get("ApproximateReceiveCount", 1))
            run(message["client_id"], message["job_id"], context, attempt)
        except Exception:  # noqa: BLE001 - this message is retried; the others in the batch are not held up
            logger.exception("export failed", extra={"message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def run(client_id: str, job_id: str, context, attempt: int = 1) -> str:
    """Run (or resume) one export; returns what became of it."""
    from shared.errors import NotFound

    try:
        job = load(client_id, job_id)
    except NotFound:
        return "gone"
    if job.status in ("completed", "failed"):
        return job.status  # a duplicate message
    me = context.aws_request_id
    if not _take_lease(job, me, context):
        return "busy"
    try:
        return _export(job, me, context)
    except LeaseLost:
        return "busy"
    except Exception as err:
        _after_failure(job, me, attempt, err)
        raise


def _owned(job: ExportJob, me: str, actions: list) -> None:
    if not applied(lambda: job.update(actions=[*actions, ExportJob.updated_at.set(clock.now_ms())],
                                      condition=ExportJob.lease_owner == me)):
        raise LeaseLost()


def _take_lease(job: ExportJob, me: str, context) -> bool:
    now = clock.now_ms()
    free = ExportJob.lease_until.does_not_exist() | (ExportJob.lease_until < now) | (ExportJob.lease_owner == me)
    actions: list[Action] = [
        ExportJob.status.set("running"), ExportJob.lease_owner.set(me), ExportJob.attempts.add(1),
        ExportJob.lease_until.set(now + context.get_remaining_time_in_millis() + LEASE_MARGIN_MS),
        ExportJob.updated_at.set(now)]
    if not job.started_at:
        actions.append(ExportJob.started_at.set(now))
    return applied(lambda: job.update(actions=actions, condition=ExportJob.status.is_in("queued", "running") & free))


def _open_upload(job: ExportJob, me: str) -> MultipartUpload:
    s3, bucket = aws.client("s3"), settings.EXPORT_BUCKET.get()
    if job.upload_id:
        done = job.checkpoint or {}
        return MultipartUpload(s3, bucket, job.s3_key, job.upload_id, job.parts or [], done.get("bytes", 0))
    upload = MultipartUpload.begin(s3, bucket, job.s3_key, content_type=CONTENT_TYPES[job.format])
    _owned(job, me, [ExportJob.upload_id.set(upload.upload_id), ExportJob.parts.set([])])
    return upload


def _export(job: ExportJob, me: str, context) -> str:
    upload = _open_upload(job, me)
    checkpoint = job.checkpoint or {}
    items = checkpoint.get("items", 0)
    kinds = [str(k) for k in job.kinds] if job.kinds is not None else None
    for where, line in lines(job.client_id, checkpoint, kinds, job.format):
        items += where["after"] is not None  # a CSV header is a line, not an item
        if upload.write(line):
            done = {**where, "items": items, "bytes": upload.uploaded}
            _owned(job, me, [ExportJob.parts.set(upload.parts), ExportJob.checkpoint.set(done),
                             ExportJob.part_count.set(len(upload.parts)), ExportJob.items_written.set(items),
                             ExportJob.bytes_written.set(upload.written)])
            if context.get_remaining_time_in_millis() < RESERVE_MS:
                return _hand_off(job, me)
        elif items and items % PROGRESS_EVERY == 0:
            _owned(job, me, [ExportJob.items_written.set(items), ExportJob.bytes_written.set(upload.written)])
    upload.complete()
    _owned(job, me, [ExportJob.status.set("completed"), ExportJob.completed_at.set(clock.now_ms()),
                     ExportJob.items_written.set(items), ExportJob.bytes_written.set(upload.written),
                     ExportJob.part_count.set(len(upload.parts)), ExportJob.parts.remove(),
                     ExportJob.checkpoint.remove(), ExportJob.upload_id.remove(), ExportJob.lease_until.remove()])
    logger.info("export completed", extra={"job_id": job.id, "items": items, "bytes": upload.written})
    return "completed"


def _hand_off(job: ExportJob, me: str) -> str:
    """Out of time: free the lease and queue the job again; the next invocation resumes after the part."""
    _owned(job, me, [ExportJob.lease_until.remove()])
    exports.enqueue(job.client_id, job.id)
    return "continued"


def _after_failure(job: ExportJob, me: str, attempt: int, err: Exception) -> None:
    """Free the lease for the retry; on the last attempt give up: abort the upload, mark the job failed."""
    actions = [ExportJob.lease_until.remove(), ExportJob.error_message.set(f"{type(err).__name__}: {err}"[:500])]
    if attempt >= MAX_ATTEMPTS:
        if job.upload_id:
            MultipartUpload(aws.client("s3"), settings.EXPORT_BUCKET.get(), job.s3_key, job.upload_id).abort()
        actions += [ExportJob.status.set("failed"), ExportJob.upload_id.remove(), ExportJob.parts.remove(),
                    ExportJob.checkpoint.remove()]
    try:
        _owned(job, me, actions)
    except LeaseLost:
        pass
