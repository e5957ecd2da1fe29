"""The export job: the only code that knows how a job is keyed.

Job: PK `T#<client>#EXPORT#<job>`, SK `EXPORT`; GSI1 `T#<client>#EXPORTS` lists a tenant's jobs.
The file is `exports/<client>/<job>.<format>` (tenant-first prefix); the bucket's lifecycle deletes it
after 7 days, and the job item's TTL follows it.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from shared.db.table import Item, tenant_key
from shared.errors import NotFound

FORMAT = "jsonl"
# Content types of the formats a file is written in: JSON Lines (any export), CSV (an export of one kind of
# line whose source declares its columns).
CONTENT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
WHOLE_TENANT = "tenant"


class ExportJob(Item, discriminator="EXPORT_JOB"):
    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    status = UnicodeAttribute()  # queued | running | completed | failed
    format = UnicodeAttribute(default=FORMAT)
    # What the file holds: "tenant" (every declared source) or a name for the kinds of lines in `kinds`.
    what = UnicodeAttribute(default=WHOLE_TENANT)
    kinds = ListAttribute(of=UnicodeAttribute, null=True)  # None: every source
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
