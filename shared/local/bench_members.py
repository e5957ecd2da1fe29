"""Members at scale: DynamoDB items read and calls per request at two tenant sizes (counts, never timings).

For each size N a fresh local runtime (no fakes, no pollers) is seeded, then N members join the
demo tenant, loaded as bench_scale loads users: `store.create` runs unchanged, its transaction (the
member, its three claims, its audit entry) goes straight into moto's table with what the stream
consumer would derive from it (projection markers, search tokens, filter-index entries, counters).
Each operation of OPERATIONS then answers through the gateway with the admin's token, and only the
handler's calls are counted (bench_scale.request).

OPERATIONS is the declared list the table is made of: the other members work adds its rows there
(getMemberStats, getMemberSegments, getMemberReferrals), a path or query may name `{email}`,
`{member_id}`, `{id}` (a member in the middle of the load) and `{referrer}` (the member most
others were referred by). A row's kind says what it is held to:
- "lookup": the same items read at every size; "stats": the same calls at every size and at most
  STATS_BOUND items (the counter's shards: a tiny tenant's members have not reached every shard);
- "page": at most PAGE_BOUND items (a page of index entries or tokens, and the members they name);
- "filtered": a combination of filters (one leads, the rest are checked on what it reads): at most
  the read budget (query.MAX_ITEMS_READ entries and the members they name).
"returned per item read" is the page's efficiency: 1 for a GSI page, 0.5 for an index of entries
then the members (two items read per member answered), less for a combination.

`python -m shared.local.bench_members [--quick]`; `main` returns 1 when a row breaks its claim.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from unittest import mock

from shared.local.bench_common import calls_made, table

if TYPE_CHECKING:
    from collections.abc import Iterator

SIZES, QUICK_SIZES = (1000, 20000), (200, 2000)
LIMIT = 50
STATS_BOUND = 16  # the member counter's shards, one BatchGetItem (a tiny tenant has not filled them all)
PAGE_BOUND = 2 * LIMIT + 5  # the page's entries or tokens, the members they name, a few reads of context
SEARCH = "ma"  # a prefix of 6 of the 40 first names and 20 of the 500 last names
TAG, TIER = "yoga", "premium"
TAGS = ("yoga", "spin", "pilates", "swim", "boxing", "running", "family", "student", "senior", "corporate",
        "early-bird", "night-owl", "weights", "hiit", "dance", "climbing", "tennis", "squash", "sauna", "pt")
CHANNELS = ("Instagram", "Google Ads", "Referral", "Walk-in", "Facebook", "Partner gym", "Email", "TikTok")
DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class Operation:
    name: str
    path: str
    query: str
    kind: str  # "lookup", "stats", "page" or "filtered" (the module docstring says what each is held to)


OPERATIONS: list[Operation] = [
    Operation("getMembers", "/members", f"limit={LIMIT}", "page"),
    Operation("getMembers tag", "/members", f"tag={TAG}&limit={LIMIT}", "page"),
    Operation("getMembers tier+tag", "/members", f"tier={TIER}&tag={TAG}&limit={LIMIT}", "filtered"),
    Operation("getMembersByTier", f"/members/by-tier/{TIER}", f"limit={LIMIT}", "page"),
    Operation("searchMembers", "/members/search", f"q={SEARCH}&limit={LIMIT}", "page"),
    Operation("getMemberByEmail", "/members/by-email", "email={email}", "lookup"),
    Operation("getMemberByMemberId", "/members/by-member-id", "member_id={member_id}", "lookup"),
    Operation("getMemberStats", "/members/stats", "", "stats"),
    Operation("getMemberSegments", "/members/segments", "", "stats"),
    Operation("getMemberReferrals", "/members/{referrer}/referrals", f"limit={LIMIT}", "page"),
]


def make_members(n: int, tenant: str, rng: random.Random, now: int) -> Iterator:
    """N members, one a minute (the newest last): tiers, statuses, tags, channels, scores, activity,
    a fifth of them referred by one of the first ten."""
    from shared import search
    from shared.ids import new_id
    from shared.local.bench_scale import DOMAINS, FIRST_NAMES, LAST_NAMES
    from shared.members.store import Member

    first_ids: list[str] = []
    for i in range(n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        member_id = new_id()
        referred = first_ids[rng.randrange(len(first_ids))] if len(first_ids) == 10 and rng.random() < 0.2 else None
        yield Member(
            id=member_id, client_id=tenant, member_id=f"GYM-{i:07d}", first_name=first, last_name=last,
            full_name=f"{first} {last}", email=f"{search.fold(first)}.{last.lower()}.{i}@{rng.choice(DOMAINS)}",
            phone=f"+1212555{i % 10000:04d}", tier=rng.choices(("basic", "premium", "elite", "executive"),
                                                                (60, 25, 10, 5))[0],
            status=rng.choices(("active", "inactive", "pending", "suspended", "churned"), (75, 10, 5, 3, 7))[0],
            engagement_score=rng.randrange(101) if rng.random() < 0.8 else None,
            acquisition_channel=rng.choice(CHANNELS), tags=rng.sample(TAGS, rng.randrange(4)),
            last_active=now - rng.randrange(90 * DAY_MS) if rng.random() < 0.9 else None,
            timezone="America/New_York", language="en", referral_code=f"B{i:07d}", referred_by=referred,
            created_at=now - (n - i) * 60_000)
        if len(first_ids) < 10:
            first_ids.append(member_id)


@dataclass
class Loaded:
    members: int
    items: int  # written straight into moto
    seconds: float
    names: dict  # what OPERATIONS' placeholders stand for


def load(runtime, tenant: str, n: int) -> Loaded:
    """N members into the tenant, with their projections, as bench_scale.load loads users."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    from shared import clock
    from shared.local import bench_scale
    from shared.members import store

    started = time.perf_counter()
    table_ = bench_scale.moto_table(runtime)
    bench_scale.project_seeded(table_)
    rng, now, sink = random.Random(n), clock.now_ms(), bench_scale.Sink(table_)
    names: dict[str, str] = {}
    # moto re-sums an item's size at each attribute it sets (quadratic in attributes: a member and its
    # audit entry have ~30); loading our own small items needs no such check.
    with bench_scale._stream_paused(table_), bench_scale._through(sink), \
            mock.patch.object(LimitedSizeDict, "__setitem__", dict.__setitem__):
        for i, member in enumerate(make_members(n, tenant, rng, now)):
            store.create(member)
            if i == 0:
                names["referrer"] = member.id
            if i == n // 2:
                names.update(email=member.email, member_id=member.member_id, id=member.id)
    bench_scale.add_counters(sink.sums, sink.sets)
    bench_scale.check_mirror(sink.last.values())
    return Loaded(n, sink.written, time.perf_counter() - started, names)


def measure_one(n: int, operations: list[Operation], loader=None, name: str = "members") -> list[dict]:
    """One size on a runtime of its own, loaded by `loader(runtime, tenant, n) -> Loaded` (members)."""
    from shared.local import bench_scale

    with bench_scale._seeded_runtime(f"bench-{name}-{n}") as (runtime, logins, tokens):
        loaded = (loader or load)(runtime, logins["client_id"], n)
        # A fresh token: loading 20,000 members on a busy machine outlasts the first one's lifetime.
        tokens = {**tokens, "admin": bench_scale.login(runtime, logins["admin"])}
        facts = {"size": n, "items_loaded": loaded.items, "load_seconds": round(loaded.seconds, 1)}
        rows = []
        for op in operations:
            path, query = op.path.format(**loaded.names), op.query.format(**loaded.names)
            status, body, tally = bench_scale.request(runtime, (op.name, "admin", path, query), tokens)
            returned = len(body["items"]) if "items" in body else 1 if status == 200 else 0
            rows.append({**facts, "operation": op.name, "kind": op.kind, "status": status, "calls": tally.total,
                         "items_read": tally.items, "scans": tally.scans, "returned": returned,
                         "more": bool(body.get("next_cursor")), "by_call": dict(tally.calls)})
        return rows


def measure(sizes: tuple[int, ...] = SIZES, operations: list[Operation] | None = None, loader=None,
            name: str = "members") -> list[dict]:
    """A row per size and operation: the handler's DynamoDB calls, items read, Scans, items returned
    (another entity's bench passes its operations, its `loader` and its name)."""
    from shared.local.quiet import quiet

    with quiet():
        return [row for n in sizes for row in measure_one(n, operations or OPERATIONS, loader, name)]


def _member_bound(row: dict) -> int | None:
    from shared.db.query import MAX_ITEMS_READ

    return {"page": PAGE_BOUND, "filtered": 2 * MAX_ITEMS_READ, "stats": STATS_BOUND}.get(row["kind"])


def problems(rows: list[dict], bound=_member_bound, max_calls: int | None = None) -> list[str]:
    """What breaks a row's claim (the module docstring): an error, a Scan, a read past its `bound(row)`,
    a lookup's or stats' calls that grow with the data, a stats row past `max_calls`."""
    out = []
    for row in rows:
        where = f"{row['operation']} at {row['size']:,}"
        if row["status"] != 200:
            out.append(f"{where} answered {row['status']}")
        if row["scans"]:
            out.append(f"{where} made {row['scans']} Scan(s)")
        limit = bound(row)
        if limit is not None and row["items_read"] > limit:
            out.append(f"{where} read {row['items_read']} items (bound {limit})")
        if max_calls is not None and row["kind"] == "stats" and row["calls"] > max_calls:
            out.append(f"{where} made {row['calls']} calls (bound {max_calls})")
    for name in dict.fromkeys(r["operation"] for r in rows):
        same = [r for r in rows if r["operation"] == name and r["kind"] in ("lookup", "stats")]
        if len({r["items_read"] for r in same if r["kind"] == "lookup"}) > 1:
            out.append(f"{name} reads grow with the data: {sorted({r['items_read'] for r in same})}")
        if len({r["calls"] for r in same}) > 1:
            out.append(f"{name} calls grow with the data: {sorted({r['calls'] for r in same})}")
    return out


def report(rows: list[dict], noun: str = "members", note: str | None = None, claim: str | None = None,
           found: list[str] | None = None) -> list[str]:
    """The table, a line per size loaded and the claim's verdict (`found`: its problems, else this
    module's own); another entity's bench names its `noun`, `note` and `claim`."""
    lines = [[f"{r['size']:,}", r["operation"], str(r["status"]), str(r["calls"]), str(r["items_read"]),
              str(r["scans"]), str(r["returned"]) + ("+" if r["more"] else ""),
              f"{r['returned'] / r['items_read']:.2f}" if r["items_read"] else "-", calls_made(r["by_call"])]
             for r in rows]
    print(table([noun, "operation", "status", "calls", "items read", "Scans", "returned",
                 "returned/read", "calls made"], lines, left=2))
    print(note or f"returned: items on the page (+: a next_cursor follows), 1 for a lookup; searchMembers q={SEARCH!r}, "
          f"filters tag={TAG!r}, tier={TIER!r}")
    for r in rows[::len({x["operation"] for x in rows})]:
        print(f"{r['size']:,} {noun}: {r['items_loaded']:,} items loaded straight into moto in {r['load_seconds']} s")
    found = problems(rows) if found is None else found
    claim = claim or (f"lookups read the same at every size, a page at most {PAGE_BOUND} items, a combination of "
                      "filters within its read budget, no Scan")
    print(f"\nclaim ({claim}): " + ("holds" if not found else "BROKEN: " + "; ".join(found)))
    return found


def main(quick: bool = False, name: str = "members", sizes: tuple[tuple[int, ...], tuple[int, ...]] = (SIZES, QUICK_SIZES),
         run=None) -> int:
    """Print the bench (`run(sizes) -> found problems`, this module's by default); 1 when a claim breaks."""
    chosen = sizes[1] if quick else sizes[0]
    print(f"echelonx bench-{name}{' --quick' if quick else ''}: sizes {', '.join(f'{n:,}' for n in chosen)} "
          "(counts of DynamoDB reads per request, the handler alone)", flush=True)
    return 1 if (run or (lambda n: report(measure(n))))(chosen) else 0


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
