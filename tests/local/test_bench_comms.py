"""bench_comms at 40 and 400 communications: what a report or a list costs does not grow with the tenant.

Counts only (items read, calls, Scans), never timings. Two runtimes of its own.
"""

from __future__ import annotations

import pytest

from shared.local import bench_comms

SIZES = (40, 400)


@pytest.fixture(scope="module")
def rows():
    return bench_comms.measure(SIZES, bench_comms.OPERATIONS, bench_comms.load, "comms")


def _of(rows, operation: str) -> dict[int, dict]:
    return {r["size"]: r for r in rows if r["operation"] == operation}


def test_every_row_answers_within_its_claim(rows):
    assert [(r["size"], r["operation"]) for r in rows] == [
        (n, op.name) for n in SIZES for op in bench_comms.OPERATIONS]
    assert bench_comms.problems(rows) == []
    assert all(r["calls"] >= 1 for r in rows), "the hook counted nothing: it is not on the handler's client"


def test_a_report_is_one_batch_of_counters_and_a_range_three(rows):
    for r in _of(rows, "getCommunicationStats").values():
        assert r["by_call"] == {"BatchGetItem": 1} and r["items_read"] <= 16, r
    for r in _of(rows, "getDeliveryRates 100 days").values():
        assert r["by_call"] == {"BatchGetItem": 3}, r
    # 400 messages, one every ten minutes, span four UTC days at most: only the days that hold some are items.
    assert _of(rows, "getCommunicationStats 7 days")[400]["items_read"] <= 4 * 3


def test_a_channels_page_reads_an_entry_and_a_communication_for_each_returned(rows):
    big = _of(rows, "getCommunicationsByChannel")[400]
    assert big["by_call"] == {"Query": 1, "BatchGetItem": 1} and big["items_read"] == 2 * big["returned"] > 0, big
