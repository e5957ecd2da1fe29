"""exportClientData and getExportJob: an export job item, a message to the export queue, and
(once the worker has finished) a pre-signed URL to the JSON Lines file in the export bucket.

Job: PK `T#<client>#EXPORT#<job>`, SK `EXPORT`; GSI1 `T#<client>#EXPORTS` lists a tenant's jobs.
The file is `exports/<client>/<job>.jsonl` (tenant-first prefix); the bucket's lifecycle deletes it
after 7 days, and the job item's TTL follows it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from shared import audit, clock
from shared.core import aws, settings
from shared.db.table import Item, tenant_key
from shared.db.tx import Tx
from shared.errors import NotFound
from shared.ids import new_id

if TYPE_CHECKING:
    from shared.core.actor import Scope

KEEP_S = 7 * 24 * 3600  # as the bucket's lifecycle rule
URL_TTL_S = 900
FORMAT = "jsonl"


class ExportJob(Item, discriminator="EXPORT_JOB"):
    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    status = UnicodeAttribute()  # queued | running | completed | failed
    format = UnicodeAttribute(default=FORMAT)
    requested_by = UnicodeAttribute(null=True)
    s3_key = UnicodeAttribute()
    items_written = NumberAttribute(default=0)
    bytes_written = NumberAttribute(default=0)
    part_count = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    error_message = UnicodeAttribute(null=True)
    # The worker's bookkeeping: the open multipart upload, its parts, where to resume, who runs it.
    upload_id = UnicodeAttribute(null=True)
    parts = JSONAttribute(null=True)  # [{"PartNumber": n, "ETag": "..."}]
    checkpoint = JSONAttribute(null=True)  # {"source": kind, "partition": n, "after": key, "items": n, "bytes": n}
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    started_at = NumberAttribute(null=True)
    completed_at = NumberAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()

    hidden = frozenset({"upload_id", "parts", "checkpoint", "lease_owner", "lease_until"})

    def keys(self):
        return {"PK": job_key(self.client_id, self.id), "SK": "EXPORT",
                "GSI1PK": tenant_key(self.client_id, "EXPORTS"), "GSI1SK": f"{int(self.created_at):015d}#{self.id}"}


def job_key(client_id: str, job_id: str) -> str:
    return tenant_key(client_id, "EXPORT", job_id)


def load(client_id: str, job_id: str) -> ExportJob:
    try:
        return ExportJob.get(job_key(client_id, job_id), "EXPORT", consistent_read=True)
    except ExportJob.DoesNotExist:
        raise NotFound("export job not found") from None


def start(scope: Scope, client_id: str) -> dict:
    """exportClientData: the job and its audit entry in one transaction, then the queue message."""
    job = create_job(scope, client_id)
    enqueue(client_id, job.id)
    return {"job_id": job.id, "client_id": client_id, "status": job.status,
            "href": f"/clients/{client_id}/exports/{job.id}"}


def create_job(scope: Scope, client_id: str) -> ExportJob:
    from shared.clients import store

    actor = scope.actor
    # A closed tenant's data can still leave, for the platform (data portability after closing).
    store.get(client_id, include_deleted=scope.holds("tenants:write"))
    now, job_id = clock.now_ms(), new_id()
    job = ExportJob(id=job_id, client_id=client_id, status="queued", requested_by=actor.user_id,
                    s3_key=f"exports/{client_id}/{job_id}.{FORMAT}", created_at=now, updated_at=now,
                    expires_at=now // 1000 + KEEP_S, version=1)
    tx = Tx()
    tx.put(job, condition=ExportJob.PK.does_not_exist())
    audit.record(tx, actor, "export", job.id, "exportClientData", None, job.public(), client_id=client_id)
    tx.commit()
    return job


def enqueue(client_id: str, job_id: str) -> None:
    aws.client("sqs").send_message(QueueUrl=settings.EXPORT_QUEUE_URL.get(),
                                    MessageBody=json.dumps({"client_id": client_id, "job_id": job_id}))


def get(scope: Scope, client_id: str, job_id: str) -> dict:
    """getExportJob: status and progress; a pre-signed GET URL once completed."""
    job = load(client_id, job_id)
    out = {"job_id": job.id, "client_id": job.client_id, "status": job.status, "format": job.format,
           "items_written": job.items_written, "bytes_written": job.bytes_written, "parts": job.part_count,
           "requested_by": job.requested_by, "created_at": job.created_at, "started_at": job.started_at,
           "completed_at": job.completed_at, "error_message": job.error_message}
    if job.status == "completed":
        out["download_url"] = aws.client("s3").generate_presigned_url(
            "get_object", ExpiresIn=URL_TTL_S,
            Params={"Bucket": settings.EXPORT_BUCKET.get(), "Key": job.s3_key,
                    "ResponseContentDisposition": f'attachment; filename="{client_id}-{job.id}.{FORMAT}"'})
        out["url_expires_in"] = URL_TTL_S
    return out
