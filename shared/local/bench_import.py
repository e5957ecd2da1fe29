"""Bench part: a member import of 10,000 rows (1% bad), then the same file again, through the worker's
own code on the local runtime (its role enforced): rows per second and DynamoDB calls per row.

The goal is at most 0.2 calls per row: a chunk's existing rows are looked up in batches (BatchGetItem
of the member_id claims, then of the members, then of the email and referral-code claims new values
need) and its writes go out in transactions of up to 100 items. Seconds are wall time on moto: they
say how long the local runtime takes, not how long AWS would.
"""

from __future__ import annotations

import csv
import io
import json
import time

from shared.local.bench_common import calls_made, counting, table

ROWS, QUICK_ROWS = 10_000, 2_000
GOAL = 0.2


def make_file(rows: int, prefix: str) -> bytes:
    """`rows` members, every hundredth with an email that is none."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["member_id", "first_name", "last_name", "email", "tier", "tags", "total_spend", "timezone"])
    for n in range(rows):
        email = "not-an-email" if n % 100 == 99 else f"{prefix}.{n}@bench.example"
        writer.writerow([f"{prefix}-{n:06d}", f"First{n}", f"Last{n}", email,
                         ("basic", "premium", "elite", "executive")[n % 4], "bench|import", f"{n % 500}.50",
                         "Europe/Paris"])
    return out.getvalue().encode()


def _import(runtime, client_id: str, data: bytes) -> dict:
    """One job: created, uploaded (no pollers: the worker is invoked here, on this thread, with the
    message the upload's event would bring, and again with each hand-off), counted."""
    from shared.members import imports

    worker = runtime.functions["RunMemberImportFunction"]
    job = imports.create_job(None, client_id)
    runtime.aws.client("s3").put_object(Bucket=runtime.aws.names["ImportBucket"], Key=job.s3_key, Body=data,
                                        ContentType=imports.CONTENT_TYPE)
    message = {"Records": [{"messageId": "bench", "attributes": {"ApproximateReceiveCount": "1"},
                            "body": json.dumps({"client_id": client_id, "job_id": job.id})}]}
    started = time.perf_counter()
    with counting() as tally:
        while imports.load(client_id, job.id).status not in ("completed", "failed"):
            if worker.invoke(message)["batchItemFailures"]:
                raise RuntimeError("the worker failed an invocation (its log says why)")
    seconds = time.perf_counter() - started
    done = imports.load(client_id, job.id)
    return {"job": done, "seconds": seconds, "tally": tally}


def measure(rows: int = ROWS) -> list[dict]:
    from shared.ids import new_id
    from shared.local.bench_scale import _seeded_runtime

    with _seeded_runtime("bench-import") as (runtime, logins, _):
        data = make_file(rows, f"B{new_id()[-6:]}")
        return [{"run": run, **_import(runtime, logins["client_id"], data)} for run in ("first", "same file again")]


def report(results: list[dict]) -> list[str]:
    """The table, and the runs over the goal."""
    lines, over = [], []
    for r in results:
        job, tally = r["job"], r["tally"]
        per_row = tally.total / max(1, job.rows_read)
        lines.append([r["run"], f"{job.rows_read:,}", f"{job.rows_created:,}", f"{job.rows_updated:,}",
                      f"{job.rows_unchanged:,}", f"{job.rows_failed:,}", f"{r['seconds']:.1f}",
                      f"{job.rows_read / max(r['seconds'], 1e-9):,.0f}", f"{tally.total:,}", f"{per_row:.3f}",
                      calls_made(tally.calls)])
        if per_row > GOAL:
            over.append(f"member import ({r['run']}) made {per_row:.3f} DynamoDB calls per row (goal {GOAL})")
    print(table(["run", "rows", "created", "updated", "unchanged", "failed", "seconds", "rows/s", "calls",
                 "calls/row", "by operation"], lines))
    return over


def main(quick: bool = False) -> list[str]:
    return report(measure(QUICK_ROWS if quick else ROWS))


if __name__ == "__main__":
    main(quick=True)
