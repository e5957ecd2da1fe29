"""The audit log, sharded by day: getClientActivity pages across days and empty days in order with
no gap and no repeat, a busy day costs no more calls per page, cursors are checked, and the export
still reads every entry. Calls are counted in-process (like `echelonx bench`), never timed."""

from __future__ import annotations

import json

from shared import clock
from shared.ids import new_id

DAY_MS = 24 * 3600 * 1000
SUPER = {"user_id": "01JAUDITTESTSUPERADMIN0000", "role": "super_admin", "client_id": "", "permissions": "",
         "session_id": "01JAUDITTESTSESSION0000000"}


def _invoke(local, function: str, route: str, path: dict, query: dict | None = None, body=None, auth=None):
    from shared.local.sample_events import api_event

    answer = local.functions[function].invoke(api_event(route, path, query or {}, body, auth or SUPER))
    return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None


def _noon() -> int:
    """Today at 12:00 UTC: the clock is frozen there, so no test straddles a midnight by chance."""
    return clock.now_ms() // DAY_MS * DAY_MS + DAY_MS // 2


def _client_made_at(local, at_ms: int) -> dict:
    clock.freeze(at_ms)
    status, client = _invoke(local, "CreateClientFunction", "POST /clients", {},
                             body={"name": f"Audit {new_id()}", "subscription_tier": "basic"})
    assert status == 201, client
    return client


def _entries(client_id: str, times: list[int], actor: str = "01JAUDITACTOR0000000000000") -> list[str]:
    """Entries written as the audit writer files them (day shard from `at`); returns their ids."""
    from shared.audit import AuditEntry

    made = []
    with AuditEntry.batch_write() as batch:
        for at in times:
            entry = AuditEntry(id=new_id(), client_id=client_id, actor_id=actor, actor_role="admin",
                               entity_type="client", entity_id=client_id, operation="updateClient",
                               at=f"{at:015d}")
            batch.save(entry)
            made.append((at, entry.id))
    return [i for _, i in sorted(made, reverse=True)]


def _pages(local, client_id: str, limit: int, auth=None, **query) -> list[tuple[list[str], dict]]:
    """Every page of getClientActivity, following next_cursor, with the DynamoDB calls of each."""
    from shared.local.bench_common import counting

    pages, cursor = [], None
    for _ in range(100):
        params = {"limit": str(limit), **query, **({"cursor": cursor} if cursor else {})}
        with counting() as tally:
            status, body = _invoke(local, "GetClientActivityFunction", "GET /clients/{id}/activity",
                                   {"id": client_id}, params, auth=auth)
        assert status == 200, body
        assert tally.items <= 1 + max(limit, 1000 if "entity_type" in query else 0)  # the client, the page
        pages.append(([a["id"] for a in body["items"]], dict(tally.calls)))
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the pages never ended")


def test_pages_cross_days_and_empty_days_in_order_without_gaps_or_repeats(local):
    noon = _noon()
    start = noon - 30 * DAY_MS
    client = _client_made_at(local, start)
    clock.freeze(noon)
    # Days 0, 1, 4 and 25 of the tenant have entries; 26..30 (today) and the days between are empty.
    times = [start + 1000, start + 2000, start + DAY_MS + 5, start + DAY_MS + 6, start + DAY_MS + 7,
             start + 4 * DAY_MS, start + 4 * DAY_MS + 1, start + 25 * DAY_MS, start + 25 * DAY_MS + 3]
    written = _entries(client["id"], times)
    pages = _pages(local, client["id"], limit=3)
    seen = [i for ids, _ in pages for i in ids]
    assert seen[:-1] == written  # newest first, each once, nothing missing
    assert len(seen) == len(written) + 1  # and last, the oldest: the createClient entry of day 0
    assert all(len(ids) <= 3 for ids, _ in pages)
    assert all(sum(calls.values()) <= 1 + 16 and not calls.get("Scan") for _, calls in pages)  # bounded


def test_a_busy_day_costs_no_more_calls_per_page(local):
    now = _noon()
    quiet = _client_made_at(local, now - 1000)
    busy = _client_made_at(local, now - 1000)
    clock.freeze(now)
    _entries(quiet["id"], [now - 500 + i for i in range(40)])
    _entries(busy["id"], [now - 900 + i for i in range(400)])
    for client in (quiet, busy):
        pages = _pages(local, client["id"], limit=50)
        # every page: the client (GetItem) and one query of today's shard, whatever the day holds
        assert all(calls == {"GetItem": 1, "Query": 1} for _, calls in pages), pages
        ids = [i for page, _ in pages for i in page]
        assert len(ids) == len(set(ids))
    assert len(_pages(local, busy["id"], limit=50)) == 9  # 401 entries, 50 a page


def test_a_filter_and_a_users_own_entries(local):
    now = _noon()
    client = _client_made_at(local, now - 2 * DAY_MS)
    clock.freeze(now)
    mine = "01JAUDITOWNUSER00000000000"
    by_me = _entries(client["id"], [now - 3000, now - DAY_MS], actor=mine)
    _entries(client["id"], [now - 2000, now - 1000])
    only_clients = [i for ids, _ in _pages(local, client["id"], limit=2, entity_type="client") for i in ids]
    assert len(only_clients) == 5  # four written and createClient
    assert _pages(local, client["id"], limit=2, entity_type="user") == [([], {"GetItem": 1, "Query": 3})]
    user = {**SUPER, "user_id": mine, "role": "user", "client_id": client["id"]}
    own = _pages(local, client["id"], limit=1, auth=user)
    assert [i for ids, _ in own for i in ids] == by_me  # its own, from its actor partition, across days


def test_cursors_of_other_listings_are_400_not_500(local):
    from shared.core.cursor import encode_cursor

    client = _client_made_at(local, clock.now_ms())
    clock.reset()
    for key in ({"PK": f"T#{new_id()}#AUDIT#2026-01-01"}, {"PK": f"T#{client['id']}#AUDIT#20260101"},
                {"PK": f"T#{client['id']}#AUDIT#2026-13-01"}, {"PK": f"T#{client['id']}#AUDIT#2026-01-01", "x": "y"},
                {"PK": f"T#{client['id']}#AUDIT#9999-12-31"}, {"PK": f"T#{client['id']}#AUDIT#2026-01-01", "SK": 5},
                {"SK": "1"}):
        status, body = _invoke(local, "GetClientActivityFunction", "GET /clients/{id}/activity",
                               {"id": client["id"]}, {"cursor": encode_cursor(key)})
        assert status == 400 and body["field"] == "/query/cursor", (key, body)


def test_the_export_reads_every_day(local):
    from shared.exports import worker as export_worker

    start = _noon() - 3 * DAY_MS
    client = _client_made_at(local, start)
    clock.freeze(start + 3 * DAY_MS)
    written = _entries(client["id"], [start + 10, start + DAY_MS, start + 3 * DAY_MS - 5])
    audit = [(where, json.loads(line)["data"]["id"]) for where, line in export_worker.lines(client["id"])
             if where["source"] == "audit"]
    assert [i for _, i in audit][1:] == written[::-1]  # oldest first, after createClient
    # resumed from a checkpoint after the first entry written, the walk goes on from its day
    resumed = [json.loads(line)["data"]["id"] for _, line in export_worker.lines(client["id"], audit[1][0])]
    assert resumed == written[::-1][1:]
