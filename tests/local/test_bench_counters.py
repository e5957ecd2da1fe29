"""`echelonx bench` part 9 on a few records: what it reports of a counter at 1 shard and at 16."""

from __future__ import annotations

import pytest

from shared.db import projections
from shared.local import bench_counters

pytestmark = pytest.mark.isolated  # mock_aws: run apart from the local runtime


def test_a_sharded_counter_reads_in_one_call_and_spreads_its_writes():
    records = 64
    one, many = bench_counters.measure(records)
    assert (one["shards"], one["calls"], one["items"], one["total"], one["most"]) == (1, 1, 1, records, records)
    assert (many["shards"], many["calls"], many["total"]) == (bench_counters.SHARDS, 1, records)
    assert many["items"] <= bench_counters.SHARDS and many["most"] < records // 4  # no shard holds the lot
    # 64 distinct free-text values: 50 of them by name, the rest as other, at any shard count.
    assert one["fields"] == many["fields"] == bench_counters.LIMIT + 1
    report = bench_counters.report([one, many], records)
    assert report.splitlines()[0].split()[:3] == ["shards", "read", "calls"] and len(report.splitlines()) == 4
    assert not projections.registered(bench_counters.ENTITY)  # the bench's declarations are gone after it
