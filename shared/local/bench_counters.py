"""Sharded counters: what reading one costs and how its writes spread (counts, never timings).

1,000 records of a bench entity go through the stream consumer's own code (`projections.apply`) into
the same counter declared twice, once with 1 shard and once with SHARDS; each record also carries a
distinct free-text value, counted with at most LIMIT values of their own. Then each counter is read
as getMemberStats would read it, with shared.local.bench_common's call counter, and every shard item
is read to see how many of the records' deltas it took: a partition takes about 1,000 writes a second,
so the most any one item takes is what bounds a tenant's write rate. In-process mock_aws, as bench_txn.

`python -m shared.local.bench_counters [--quick]`
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from shared.local.bench_common import counting, table

if TYPE_CHECKING:
    from collections.abc import Iterator

RECORDS, QUICK_RECORDS = 1000, 300
SHARDS = 16
LIMIT = 50
ENTITY = "BENCH_RECORD"
TABLE = "bench-counters"
ROOT = Path(__file__).resolve().parents[2]


def _key(shards: int) -> str:
    return f"P#COUNTER#BENCH#{shards}"


@contextmanager
def _bench_table() -> Iterator[None]:
    """The product's table in an in-process mock_aws, and the projection models connected to it for
    the block only (their connections, and the registry, as they were afterwards)."""
    import boto3
    from moto import mock_aws

    from shared.db import projections
    from shared.local import moto_txn
    from shared.local.template import load

    models = (projections.Counter, projections.ProjectionMarker, projections.CounterValues)
    saved = {model: model._connection for model in models}
    projections.registered(ENTITY)  # the domains' declarations loaded, so that the copy holds them
    registry, name = {k: list(v) for k, v in projections._registry.items()}, os.environ.get("TABLE_NAME")
    os.environ["TABLE_NAME"] = TABLE
    try:
        with mock_aws(), moto_txn.installed():  # moto's own transactions copy the table each time
            props = load(ROOT / "template.yaml")["Resources"]["Table"]["Properties"]
            boto3.client("dynamodb", region_name="us-east-1").create_table(
                TableName=TABLE, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=props["AttributeDefinitions"],
                KeySchema=props["KeySchema"], GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"])
            for model in models:
                model._connection = None
            yield
    finally:
        projections._registry.clear()
        projections._registry.update(registry)
        for model, connection in saved.items():
            model._connection = connection
        if name is None:
            os.environ.pop("TABLE_NAME", None)
        else:
            os.environ["TABLE_NAME"] = name


def measure(records: int = RECORDS) -> list[dict]:
    """Per shard count: read calls and items, the most and fewest deltas one shard item took, and the
    fields of the counter after `records` distinct free-text values."""
    from shared.db import projections

    rows = []
    with _bench_table():
        for shards in (1, SHARDS):
            projections.counter(ENTITY, f"bench-{shards}", shards=shards)(
                lambda record, shards=shards: projections.tally(record, _key(shards), {},
                                                                open_categories={"channel": ("channel", LIMIT)}))
        for i in range(records):
            record = {"PK": f"P#BENCH#{i:06d}", "SK": "RECORD", "entity": ENTITY, "version": 1, "channel": f"c{i}"}
            projections.apply(projections.change_of(record))
        for shards in (1, SHARDS):
            with counting() as read:
                counter = projections.read_counter(_key(shards), shards=shards)
            deltas = [shard.get("total", 0) for shard in
                      projections.read_counters(projections.shard_keys(_key(shards), shards)).values()]
            rows.append({"shards": shards, "calls": read.total, "items": read.items, "total": counter.get("total", 0),
                         "most": max(deltas), "fewest": min(deltas), "fields": len(counter) - 1})
    return rows


def report(rows: list[dict], records: int) -> str:
    lines = [[str(r["shards"]), str(r["calls"]), str(r["items"]), f"{r['total']:,}", f"{r['most']:,}",
              f"{r['fewest']:,}", f"{100 * r['most'] / records:.1f}%", str(r["fields"])] for r in rows]
    return table(["shards", "read calls", "items read", "counted", "most deltas / item", "fewest", "hottest share",
                  f"channel fields ({records:,} values)"], lines)


def main(quick: bool = False) -> int:
    records = QUICK_RECORDS if quick else RECORDS
    rows = measure(records)
    print(report(rows, records))
    print(f"one record a delta per counter; at 1,000 writes a second per partition, the hottest shard item "
          f"bounds a counter at about {1000 * records // max(r['most'] for r in rows if r['shards'] == SHARDS):,} "
          f"records a second with {SHARDS} shards (1,000 with 1); channel fields stay at {LIMIT} values + other")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # mock_aws gives credentials, not a region
    sys.exit(main(quick="--quick" in sys.argv))
