"""bench_members at 30 and 300 members: what a member read costs does not grow with the tenant.

Counts only (items read, calls, Scans), never timings. Two runtimes of its own.
"""

from __future__ import annotations

import pytest

from shared.local import bench_members
from shared.local.bench_members import LIMIT

SIZES = (30, 300)


@pytest.fixture(scope="module")
def rows():
    return bench_members.measure(sizes=SIZES)


def _of(rows, operation: str) -> dict[int, dict]:
    return {r["size"]: r for r in rows if r["operation"] == operation}


def test_every_row_answers_within_its_claim(rows):
    assert [(r["size"], r["operation"]) for r in rows] == [
        (n, op.name) for n in SIZES for op in bench_members.OPERATIONS]
    assert bench_members.problems(rows) == []
    assert all(r["calls"] >= 1 for r in rows), "the hook counted nothing: it is not on the handler's client"


def test_lookups_read_a_claim_and_a_member(rows):
    for name in ("getMemberByEmail", "getMemberByMemberId"):
        for r in _of(rows, name).values():
            assert r["by_call"] == {"GetItem": 2} and r["items_read"] == 2 and r["returned"] == 1, r


def test_an_unfiltered_page_reads_just_the_page(rows):
    for name in ("getMembers", "getMembersByTier"):
        big = _of(rows, name)[300]
        assert big["by_call"] == {"Query": 1} and big["items_read"] == big["returned"] == LIMIT, big


def test_a_filter_reads_an_entry_and_a_member_for_each_member_returned(rows):
    for n, r in _of(rows, "getMembers tag").items():
        assert r["by_call"] == {"Query": 1, "BatchGetItem": 1}, r
        assert r["items_read"] == 2 * r["returned"] > 0, (n, r)


def test_a_combination_answers_only_members_passing_every_filter(rows):
    for r in _of(rows, "getMembers tier+tag").values():
        assert r["returned"] <= _of(rows, "getMembers tag")[r["size"]]["returned"]
        assert r["items_read"] >= 2 * r["returned"]
