"""Stream records the consumer could not apply, parked by its S3 on-failure destination; seen and replayed
(`echelonx parked`).

After its retries Lambda writes one object per discarded batch under `aws/lambda/<mapping>/<shard>/...`:
the invocation record (why, how many attempts, which sequence numbers) with the whole event as its
`payload`, both images of every record. Replaying hands those records to the consumer's own code
(`projections.process_batch`), which is safe whatever happened since: a record older than what a
projection marker recorded changes nothing. An object is deleted once every record of it applied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.core import aws
from shared.db import projections

if TYPE_CHECKING:
    from collections.abc import Iterator

PREFIX = "aws/lambda/"


@dataclass(frozen=True)
class ParkedBatch:
    key: str
    record: dict  # the invocation record, as Lambda wrote it

    @property
    def records(self) -> list[dict]:
        return self.record["payload"]["Records"]


def batches(bucket: str) -> Iterator[ParkedBatch]:
    """Every parked batch in the bucket, oldest key first."""
    s3 = aws.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
        for listed in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read()
            yield ParkedBatch(listed["Key"], json.loads(body))


def replay(bucket: str, batch: ParkedBatch) -> bool:
    """Apply a parked batch's records in order; delete it when all applied. False if one still fails."""
    if projections.process_batch(batch.records)["batchItemFailures"]:
        return False
    aws.client("s3").delete_object(Bucket=bucket, Key=batch.key)
    return True
