"""bench_scale at 50 and 400 users: what a request reads does not grow with the data.

Counts only (items read, calls, Scans), never timings. Two runtimes of its own, about 12 s.
"""

from __future__ import annotations

import pytest

from shared.local import bench_scale
from shared.local.bench_scale import LIMIT, PAGE_BOUND

SIZES = (50, 400)
SEEDED_TENANT_USERS = 4  # admin, manager, user and the two-factor manager
SEEDED_CLIENTS = 1


@pytest.fixture(scope="module")
def rows():
    return bench_scale.measure(sizes=SIZES)


def _of(rows, operation: str) -> dict[int, dict]:
    return {r["size"]: r for r in rows if r["operation"] == operation}


def test_every_operation_answers_at_every_size_without_a_scan(rows):
    assert [(r["size"], r["operation"]) for r in rows] == [
        (n, op) for n in SIZES for op, _, _, _ in bench_scale.OPERATIONS]
    assert all(r["status"] == 200 for r in rows), rows
    assert all(r["scans"] == 0 for r in rows), rows
    assert all(r["calls"] >= 1 for r in rows), "the hook counted nothing: it is not on the handler's client"


def test_the_load_is_what_the_product_would_hold(rows):
    """The counters and the search index the handlers read agree with what was loaded."""
    users, clients = _of(rows, "getUserStats"), _of(rows, "getClientStats")
    for n in SIZES:
        assert users[n]["answer"] == n + SEEDED_TENANT_USERS
        assert clients[n]["answer"] == n // bench_scale.USERS_PER_CLIENT + SEEDED_CLIENTS
        search = _of(rows, "searchUsers")[n]
        if search["matching_tokens"] < LIMIT:  # one page holds every token: every matching user, once
            assert search["answer"] == search["matching"] > 0
        else:  # a user with two words starting with the prefix has two tokens, and is answered once
            assert LIMIT - (search["matching_tokens"] - search["matching"]) <= search["answer"] <= LIMIT


@pytest.mark.parametrize("operation", ["getUserStats", "getClientStats"])
def test_stats_read_the_same_single_item_at_every_size(rows, operation):
    reads = {n: r["items_read"] for n, r in _of(rows, operation).items()}
    assert set(reads.values()) == {1}, reads


def test_search_reads_at_most_two_pages(rows):
    for n, r in _of(rows, "searchUsers").items():
        tokens = min(LIMIT, r["matching_tokens"])
        assert r["items_read"] <= PAGE_BOUND, (n, r)
        # the tokens, the users they name (at least those answered), the login bookkeeping of some
        assert tokens + r["answer"] <= r["items_read"] <= 3 * tokens, (n, r)
        assert r["by_call"]["Query"] == 1, r


def test_list_reads_one_query_of_one_page_and_its_logins(rows):
    """Nothing filtered out: one Query reading exactly the page, and one BatchGetItem of those users'
    login bookkeeping (only users who ever logged in have one), at any size."""
    for n, r in _of(rows, "getUsers").items():
        assert r["by_call"] == {"Query": 1, "BatchGetItem": 1}, r
        assert LIMIT <= r["items_read"] <= 2 * LIMIT <= PAGE_BOUND, (n, r)
