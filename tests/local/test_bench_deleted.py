"""`echelonx bench`'s getUsers-past-deleted-users row at a small scale: its figures are printed and hang
together. Counts only, never timings; whatever the store reads, the row must say it honestly."""

from __future__ import annotations

import pytest

from shared.local import bench_scale

USERS, DELETED, LIMIT = 60, 40, 10  # 20 loaded users stay, and the 4 seeded staff: more than a page


@pytest.fixture(scope="module")
def row():
    return bench_scale.measure_deleted(USERS, DELETED, LIMIT)


def test_the_list_answers_a_full_page_of_users_still_there(row):
    assert row["status"] == 200
    assert row["returned"] == LIMIT
    assert len(set(row["deleted_ids"])) == DELETED
    assert not set(row["page_ids"]) & set(row["deleted_ids"]), "a deleted user is on the page"


def test_the_figures_are_consistent(row):
    assert row["calls"] >= 1, "the hook counted nothing: it is not on the handler's client"
    assert row["calls"] == sum(row["by_call"].values())
    assert row["items_read"] >= row["returned"]  # DynamoDB read at least what it answered
    assert row["by_call"].get("Scan", 0) == 0


def test_the_row_is_printed_with_its_figures(row, capsys):
    bench_scale.report_deleted(row)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["users", "deleted", "limit", "status"]
    cells = lines[2].split()
    assert cells[:7] == [str(USERS), str(DELETED), str(LIMIT), "200", str(row["calls"]), str(row["items_read"]),
                         str(row["returned"])]
    assert f"newest {DELETED} of {USERS} loaded users deleted" in lines[3]
