"""Starting an export and reading its job: a job item, a message to the export queue, and (once the
worker has finished) a pre-signed URL to the file (JSON Lines, or CSV for one kind) in the export bucket.

The domains call `start` with what the export holds: the whole tenant (exportClientData) or some
kinds of lines (exportSettings: the tenant's settings). getExportJob reads any of them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from shared import audit, clock
from shared.core import aws, settings
from shared.db.tx import Tx
from shared.exports.store import CONTENT_TYPES, FORMAT, WHOLE_TENANT, ExportJob, load
from shared.ids import new_id

if TYPE_CHECKING:
    from collections.abc import Sequence

    from shared.core.actor import Scope

KEEP_S = 7 * 24 * 3600  # as the bucket's lifecycle rule
URL_TTL_S = 900


def start(scope: Scope, client_id: str, operation: str, what: str = WHOLE_TENANT,
          kinds: Sequence[str] | None = None, file_format: str = FORMAT) -> dict:
    """The job and its audit entry in one transaction, then the queue message. The caller has checked
    that the tenant may be exported; `kinds` (the export sources' kinds) limits the lines, None: all;
    `file_format` "csv" needs exactly one kind, whose source declares its columns."""
    job = create_job(scope, client_id, operation, what, kinds, file_format)
    enqueue(client_id, job.id)
    return {"job_id": job.id, "client_id": client_id, "status": job.status, "what": job.what,
            "href": f"/clients/{client_id}/exports/{job.id}"}


def create_job(scope: Scope, client_id: str, operation: str = "exportClientData", what: str = WHOLE_TENANT,
               kinds: Sequence[str] | None = None, file_format: str = FORMAT) -> ExportJob:
    if file_format not in CONTENT_TYPES or (file_format != FORMAT and (kinds is None or len(kinds) != 1)):
        raise ValueError(f"an export of {what} cannot be written as {file_format}")
    actor = scope.actor
    now, job_id = clock.now_ms(), new_id()
    job = ExportJob(id=job_id, client_id=client_id, status="queued", requested_by=actor.user_id, what=what,
                    kinds=list(kinds) if kinds is not None else None, format=file_format,
                    s3_key=f"exports/{client_id}/{job_id}.{file_format}", created_at=now, updated_at=now,
                    expires_at=now // 1000 + KEEP_S, version=1)
    tx = Tx()
    tx.put(job, condition=ExportJob.PK.does_not_exist())
    audit.record(tx, actor, "export", job.id, operation, None, job.public(), client_id=client_id)
    tx.commit()
    return job


def enqueue(client_id: str, job_id: str) -> None:
    aws.client("sqs").send_message(QueueUrl=settings.EXPORT_QUEUE_URL.get(),
                                    MessageBody=json.dumps({"client_id": client_id, "job_id": job_id}))


def get(scope: Scope, client_id: str, job_id: str) -> dict:
    """getExportJob: status and progress; a pre-signed GET URL once completed."""
    job = load(client_id, job_id)
    out = {"job_id": job.id, "client_id": job.client_id, "status": job.status, "format": job.format,
           "what": job.what, "items_written": job.items_written, "bytes_written": job.bytes_written,
           "parts": job.part_count, "requested_by": job.requested_by, "created_at": job.created_at,
           "started_at": job.started_at, "completed_at": job.completed_at, "error_message": job.error_message}
    if job.status == "completed":
        out["download_url"] = aws.client("s3").generate_presigned_url(
            "get_object", ExpiresIn=URL_TTL_S,
            Params={"Bucket": settings.EXPORT_BUCKET.get(), "Key": job.s3_key,
                    "ResponseContentDisposition": f'attachment; filename="{client_id}-{job.what}-{job.id}.{job.format}"'})
        out["url_expires_in"] = URL_TTL_S
    return out
