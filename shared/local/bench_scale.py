"""Scale benchmark: DynamoDB items read per request at two table sizes (counts, never timings).

For each size N a fresh local runtime (no fakes, no pollers) is seeded, then N users join the demo
tenant and N/20 clients join the platform. Each is written as its store writes it: `store.create`
runs unchanged and its transaction (the item, its uniqueness claim, its audit entry) is collected,
then written with what the stream consumer would derive from it (projection markers, search
tokens, counters). getClientStats, getUserStats, getUsers and searchUsers then answer through the
gateway with real tokens, and shared.local.bench_common's botocore hook counts the handler's calls,
items read (Query/Scan: ScannedCount; GetItem: 1 if found; BatchGetItem: items returned) and Scans.

The claim: a stats answer reads the same items whatever the size; a page reads at most about two
pages' worth (the page, plus the items it names).

Only the handler is counted: each operation is requested once uncounted first, which runs the
authorizer (the gateway caches its answer for ReauthorizeEvery, 60 s on the shared clock) and
imports the handler; the second request, counted, is the handler's alone.

Loading writes straight into moto's backend, in-process as bench_txn does: 20,000 users and 1,000
clients are about 630,000 items (a user is ~11: item, claim, audit entry, two markers, ~6 tokens),
loaded in about 45 s, some 70 µs an item all included; PynamoDB's batch_write() to the embedded
server took about 320 µs an item, i.e. over 3 minutes. Printed per size: no timing is compared.

`python -m shared.local.bench_scale [--quick]`; `main` returns 1 when the claim does not hold.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from unittest import mock
from urllib.parse import quote

from shared.local.bench_common import Tally, calls_made, counting, table

if TYPE_CHECKING:
    from collections.abc import Iterator

SIZES, QUICK_SIZES = (1000, 20000), (200, 2000)
USERS_PER_CLIENT = 20
LIMIT = 50
PAGE_BOUND = 3 * LIMIT + 5  # the page, the items it names, their login bookkeeping, a few reads of context
SEARCH = "ma"  # a prefix of 6 of the first names and 20 of the last names: about 1 user in 5
DAY_MS = 24 * 60 * 60 * 1000

# (operation, caller, path, query)
OPERATIONS = (
    ("getClientStats", "super_admin", "/clients/stats", ""),
    ("getUserStats", "admin", "/users/stats", ""),
    ("getUsers", "admin", "/users", f"limit={LIMIT}"),
    ("searchUsers", "admin", "/users/search", f"q={SEARCH}&limit={LIMIT}"),
)
PAGED = frozenset({"getUsers", "searchUsers"})

FIRST_NAMES = (
    "James", "Mary", "Michael", "Maria", "Mark", "Matthew", "Madison", "Mason", "Olivia", "Liam",
    "Emma", "Noah", "Ava", "Ethan", "Sophia", "Lucas", "Isabella", "Oliver", "Mia", "Elijah",
    "Charlotte", "Aiden", "Amelia", "Logan", "Harper", "Caleb", "Evelyn", "Henry", "Abigail", "Jack",
    "Emily", "Owen", "Ella", "Samuel", "Grace", "Daniel", "Chloe", "Ryan", "Zoë", "José",
)
# 25 stems x 20 endings: 500 surnames of the English place-name kind (Ashford, Marwick, Thornley...).
_STEMS = ("Ash", "Black", "Brook", "Cal", "Clay", "Dal", "Fair", "Fen", "Gold", "Hart", "Hol", "Kings", "Lang",
          "Mar", "Mont", "Nor", "Oak", "Pem", "Red", "Rich", "Stan", "Thorn", "Wal", "Wester", "Whit")
_ENDINGS = ("ford", "ton", "ley", "wood", "field", "well", "by", "worth", "ridge", "more", "bury", "stead",
            "mont", "croft", "dale", "ham", "land", "wick", "brook", "shaw")
LAST_NAMES = tuple(stem + ending for stem in _STEMS for ending in _ENDINGS)
DOMAINS = ("example.com", "post.example.org", "inbox.example.net")  # none starts with SEARCH
_CLIENT_WORDS = (("Bright", "Summit", "Urban", "Peak", "Core", "Prime", "Active", "Vital", "True", "North"),
                 ("Fitness", "Wellness", "Athletics", "Studios", "Health", "Motion", "Strength", "Yoga",
                  "Cycle", "Training"))

_runs = itertools.count(1)


# --- loading -------------------------------------------------------------------------------------
def _change(raw: dict):
    """The stream consumer's view of an item just written (as a new image in an INSERT record)."""
    from shared.db import projections

    return projections.change_from_record({"eventName": "INSERT", "dynamodb": {"NewImage": raw}})


def projected(change, sums: dict, sets: dict[str, set[str]]) -> Iterator[dict]:
    """What `shared.db.projections` writes for an item it has no marker for yet: per projection its
    marker, and its search tokens or its counter contribution (added into `sums`, written once; its
    free-text fields resolved against, and admitted into, `sets`: the counters' admitted values)."""
    from shared.db import projections
    from shared.db.projections import ProjectionMarker, SearchToken

    for name, kind, fn in projections.registered(change.entity):
        after = fn(change.image)
        if kind == "tokens":
            after = sorted(after)
            yield from (SearchToken(PK=pk, SK=sk).serialize() for pk, sk in after)
        else:
            missing = projections.open_sets(after) - set(sets)
            sets.update(projections.admitted_values(missing) if missing else {})
            after, _ = projections.resolve(after, sets)
            for counter_pk, fields in after.items():
                into = sums.setdefault(counter_pk, Counter())
                into.update(fields)
        yield ProjectionMarker(PK=f"{change.pk}#PROJ#{name}", SK=change.sk, position=change.position,
                               contribution=json.dumps(after, sort_keys=True)).serialize()


class Sink:
    """Where the stores' transactions land while loading: each item straight into moto's table,
    followed by what the stream consumer would write for it."""

    def __init__(self, table) -> None:
        self.table = table
        self.written = 0
        self.sums: dict[str, Counter] = {}
        self.sets: dict[str, set[str]] = {}  # values_key -> the values admitted (as the table has them, then more)
        self.last: dict[str, object] = {}  # entity -> the last change projected, checked afterwards

    def put(self, raw: dict) -> None:
        from shared.db import projections

        self._write(raw)
        if projections.registered(raw["entity"]["S"]):
            change = _change(raw)
            for item in projected(change, self.sums, self.sets):
                self._write(item)
            self.last[change.entity] = change

    def _write(self, raw: dict) -> None:
        self.table.put_item(raw)
        self.written += 1


class _CollectingTx:
    """Stands in for `shared.db.tx.Tx` in the stores while loading: what `create` would commit goes
    to the sink (the conditions hold by construction: every id, email and name is new)."""

    def __init__(self, sink: Sink):
        self.sink = sink

    def put(self, item, condition=None, on_fail=None) -> _CollectingTx:
        self.sink.put(item.serialize())
        return self

    def commit(self) -> None:
        pass


@contextmanager
def _through(sink: Sink):
    from shared import entity

    tx = lambda: _CollectingTx(sink)  # noqa: E731
    with mock.patch.object(entity, "Tx", tx):  # the generic store writes every entity
        yield


@contextmanager
def _stream_paused(table):
    # Nothing reads the stream here (no pollers), and a record per item would double the memory.
    shard, table.stream_shard = table.stream_shard, None
    try:
        yield
    finally:
        table.stream_shard = shard


def moto_table(runtime):
    """The runtime's table object in moto's process-global backend (the server runs in this process)."""
    from moto.dynamodb.models import dynamodb_backends

    from shared.local.aws import ACCOUNT, REGION

    return dynamodb_backends[ACCOUNT][REGION].get_table(runtime.aws.names["Table"])


def make_users(n: int, tenant: str, rng: random.Random, now: int) -> Iterator:
    from shared import search
    from shared.ids import new_id
    from shared.users.store import Login, User

    for i in range(n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        logged_in = rng.random() < 0.6
        user = User(
            id=new_id(), client_id=tenant, email=f"{search.fold(first)}.{last.lower()}.{i}@{rng.choice(DOMAINS)}",
            role=rng.choices(("user", "manager", "admin"), (85, 12, 3))[0],
            status=rng.choices(("active", "inactive", "suspended", "pending"), (80, 10, 5, 5))[0],
            first_name=first, last_name=last, full_name=f"{first} {last}", email_verified=rng.random() < 0.7,
            two_factor_enabled=False, timezone="America/New_York", language="en", permissions=[],
            created_at=now - (n - i) * 60_000)  # one a minute, the newest last
        login = Login(user_id=user.id, client_id=tenant, last_login=now - rng.randrange(90 * DAY_MS),
                      login_count=rng.randint(1, 200), failed_login_attempts=0) if logged_in else None
        yield user, login


def make_clients(n: int, creator: str, rng: random.Random, now: int) -> Iterator:
    from shared.clients.store import Client
    from shared.ids import new_id

    adjectives, nouns = _CLIENT_WORDS
    for i in range(n):
        adjective, noun = rng.choice(adjectives), rng.choice(nouns)
        contract = rng.random() < 0.5
        yield Client(
            id=new_id(), name=f"{adjective} {noun} {i}", email=f"hello@{adjective}{noun}{i}.example".lower(),
            status=rng.choices(("active", "trial", "inactive", "suspended"), (70, 15, 10, 5))[0],
            subscription_tier=rng.choices(("basic", "premium", "enterprise", "custom"), (50, 30, 15, 5))[0],
            company_size=rng.choice(("1-10", "11-50", "51-200", "201-500", "500+")), industry="fitness",
            default_country="US", created_by=creator, created_at=now - (n - i) * 3_600_000,
            contract_start=now - 180 * DAY_MS if contract else None,
            contract_end=now + rng.randrange(1, 365) * DAY_MS if contract else None)


def project_seeded(table) -> None:
    """The seeded users and client through the stream consumer's own code (the pollers are off)."""
    from shared.db import projections

    for item in list(table.all_items()):
        change = _change(item.to_json()["Attributes"])
        if change is not None:
            projections.apply(change)


def add_counters(sums: dict[str, Counter], sets: dict[str, set[str]]) -> None:
    """The loaded items' contributions, added as the consumer adds them (DynamoDB ADD), and the
    counters' admitted values (nothing else writes either while loading; one write per item, as a
    sharded counter may have more items than a transaction holds)."""
    from pynamodb.attributes import NumberAttribute

    from shared.db.projections import VALUES_SK, CounterValues
    from shared.db.projections import Counter as CounterItem

    for counter_pk, fields in sums.items():
        CounterItem(PK=counter_pk, SK="COUNTER").update([CounterItem.entity.set(CounterItem)] + [
            NumberAttribute(attr_name=name).add(n) for name, n in fields.items() if n])
    for key, values in sets.items():
        if values:
            CounterValues(PK=key, SK=VALUES_SK, admitted=set(values), value_count=len(values)).save()


def check_mirror(changes) -> None:
    """The consumer must find the mirror's markers where it looks, at the item's position (else it
    would project the item again: the mirror has drifted from `shared.db.projections`)."""
    from shared.db import projections

    for change in changes:
        if projections.apply(change):
            raise RuntimeError(f"the stream consumer would project {change.pk} again: bench_scale's mirror drifted")


@dataclass
class Loaded:
    users: int  # loaded into the tenant (the seeded ones not included)
    clients: int
    items: int  # written straight into moto
    seconds: float


def load(runtime, tenant: str, creator: str, n: int) -> Loaded:
    from shared import clock
    from shared.clients import store as clients
    from shared.users import store as users

    started = time.perf_counter()
    table = moto_table(runtime)
    project_seeded(table)
    rng, now, sink = random.Random(n), clock.now_ms(), Sink(table)
    with _stream_paused(table), _through(sink):
        for user, login in make_users(n, tenant, rng, now):
            users.create(user)
            if login is not None:  # the login bookkeeping, as login writes it
                sink.put(login.serialize())
        for client in make_clients(n // USERS_PER_CLIENT, creator, rng, now):
            clients.create(client)
    add_counters(sink.sums, sink.sets)
    check_mirror(sink.last.values())
    return Loaded(n, n // USERS_PER_CLIENT, sink.written, time.perf_counter() - started)


def count_matching(runtime, partition: str, prefix: str) -> tuple[int, int]:
    """(users, tokens) of the words starting with `prefix` in a search partition (a user with two
    such words has two tokens). Not measured."""
    ddb = runtime.aws.client("dynamodb")
    pages = ddb.get_paginator("query").paginate(
        TableName=runtime.aws.names["Table"], KeyConditionExpression="PK = :pk AND begins_with(SK, :w)",
        ExpressionAttributeValues={":pk": {"S": partition}, ":w": {"S": prefix}}, ProjectionExpression="SK")
    named = [item["SK"]["S"].rpartition("#")[2] for page in pages for item in page["Items"]]
    return len(set(named)), len(named)


# --- requests ------------------------------------------------------------------------------------
def login(runtime, creds: dict) -> dict:
    body = json.dumps({"email": creds["email"], "password": creds["password"]}).encode()
    status, _, answer = runtime.gateway.handle("POST", "/auth/login", "", {"content-type": "application/json"}, body)
    if status != 200:
        raise RuntimeError(f"login as {creds['email']} answered {status}: {answer[:200]!r}")
    return json.loads(answer)


def request(runtime, operation: tuple, tokens: dict) -> tuple[int, dict, Tally]:
    """The operation twice through the gateway; the second, counted, is the handler's alone."""
    _, role, path, query = operation
    headers = {"authorization": f"Bearer {tokens[role]['access_token']}"}
    runtime.gateway.handle("GET", path, query, headers, b"")  # runs the authorizer, primes its cache
    with counting() as tally:
        status, _, body = runtime.gateway.handle("GET", path, query, headers, b"")
    return status, json.loads(body), tally


def _answer(body: dict) -> int:
    """What the answer says about the data: a stats total, or a page's length."""
    return len(body["items"]) if "items" in body else int(body.get("total", -1))




@contextmanager
def _seeded_runtime(name: str):
    """A seeded runtime of its own (a stack name of its own: moto's backends are process-wide), with
    the demo tenant's logins and the admin's and super_admin's tokens; its table is dropped after."""
    from shared.local.aws import EmbeddedAws
    from shared.local.runtime import Runtime
    from shared.local.seed import seed

    runtime = Runtime(fakes=False, pollers=False, aws=EmbeddedAws(stack=f"{name}-{next(_runs)}"))
    try:
        runtime.start()
        logins = seed(members=0)  # the sizes measured are loaded below, not the demo members
        yield runtime, logins, {role: login(runtime, logins[role]) for role in ("admin", "super_admin")}
    finally:
        _drop_table(runtime)
        runtime.stop()


def measure_one(n: int) -> list[dict]:
    """One size on a runtime of its own."""
    from shared.users.projections import token_partition

    with _seeded_runtime(f"bench-scale-{n}") as (runtime, logins, tokens):
        loaded = load(runtime, logins["client_id"], tokens["super_admin"]["user"]["id"], n)
        users, words = count_matching(runtime, token_partition(logins["client_id"], SEARCH[0]), SEARCH)
        facts = {"size": n, "clients": loaded.clients, "items_loaded": loaded.items,
                 "load_seconds": round(loaded.seconds, 1), "matching": users, "matching_tokens": words}
        return [_row(facts, operation[0], *request(runtime, operation, tokens)) for operation in OPERATIONS]


def _drop_table(runtime) -> None:
    # moto's backends outlive the runtime: free the big table's memory now, not at exit.
    if "Table" in runtime.aws.names and runtime.aws.server is not None:
        runtime.aws.client("dynamodb").delete_table(TableName=runtime.aws.names["Table"])


def _row(facts: dict, operation: str, status: int, body: dict, tally: Tally) -> dict:
    return {**facts, "operation": operation, "status": status, "calls": tally.total,
            "items_read": tally.items, "scans": tally.scans, "answer": _answer(body),
            "by_call": dict(tally.calls)}


def measure(sizes: tuple[int, ...] = SIZES) -> list[dict]:
    """A row per size and operation: DynamoDB calls, items read, Scans of the handler's request."""
    from shared.local.quiet import quiet

    with quiet():
        return [row for n in sizes for row in measure_one(n)]


# --- the claim and the report ----------------------------------------------------------------------
def problems(rows: list[dict]) -> list[str]:
    """What breaks the claim: an error, a Scan, a stats read that grows, a page that reads past PAGE_BOUND."""
    out = []
    for row in rows:
        where = f"{row['operation']} at {row['size']:,}"
        if row["status"] != 200:
            out.append(f"{where} answered {row['status']}")
        if row["scans"]:
            out.append(f"{where} made {row['scans']} Scan(s)")
        if row["operation"] in PAGED and row["items_read"] > PAGE_BOUND:
            out.append(f"{where} read {row['items_read']} items for a page of {LIMIT} (bound {PAGE_BOUND})")
    for operation, _, _, _ in OPERATIONS:
        reads = sorted({r["items_read"] for r in rows if r["operation"] == operation})
        if operation not in PAGED and len(reads) > 1:
            out.append(f"{operation} reads grow with the data: {reads}")
    return out


def report(rows: list[dict]) -> list[str]:
    lines = [[f"{r['size']:,}", r["operation"], str(r["status"]), str(r["calls"]), str(r["items_read"]),
              str(r["scans"]), str(r["answer"]), calls_made(r["by_call"])] for r in rows]
    print(table(["size", "operation", "status", "calls", "items read", "Scans", "answer", "calls made"], lines, left=2))
    print(f"answer: total for stats, items on the page for lists (limit {LIMIT}); searchUsers q={SEARCH!r}")
    for r in rows[::len(OPERATIONS)]:
        print(f"{r['size']:,} users: {r['clients']:,} clients, {r['matching']:,} users match {SEARCH!r}; "
              f"{r['items_loaded']:,} items loaded straight into moto in {r['load_seconds']} s")
    found = problems(rows)
    print(f"\nclaim (stats read the same at every size, a page at most {PAGE_BOUND} items, no Scan): "
          + ("holds" if not found else "BROKEN: " + "; ".join(found)))
    return found


# --- a list past soft-deleted users ---------------------------------------------------------------
# 1,050 users loaded into the demo tenant, the newest 1,000 then deleted with deleteUser: getUsers
# newest first must find its page past them (a store that filters them out reads them all).
DELETED_SCALE, QUICK_DELETED_SCALE = (1050, 1000), (210, 200)
DELETED_LIMIT = 10


def _newest_loaded(runtime, tokens: dict, seeded: set[str], wanted: int) -> list[str]:
    """Ids of the `wanted` newest loaded users, through the product's own list (newest first)."""
    headers = {"authorization": f"Bearer {tokens['admin']['access_token']}"}
    ids: list[str] = []
    query = "limit=200"
    while len(ids) < wanted:
        status, _, body = runtime.gateway.handle("GET", "/users", query, headers, b"")
        page = json.loads(body)
        if status != 200:
            raise RuntimeError(f"getUsers answered {status} while listing users to delete: {page}")
        ids += [u["id"] for u in page["items"] if u["email"] not in seeded]
        if not page.get("next_cursor"):
            break
        query = f"limit=200&cursor={quote(page['next_cursor'])}"
    if len(ids) < wanted:
        raise RuntimeError(f"only {len(ids)} loaded users to delete, {wanted} wanted")
    return ids[:wanted]


def _delete(runtime, tokens: dict, ids: list[str]) -> None:
    headers = {"authorization": f"Bearer {tokens['admin']['access_token']}"}
    for user_id in ids:
        status, _, body = runtime.gateway.handle("DELETE", f"/users/{user_id}", "", headers, b"")
        if status != 204:
            raise RuntimeError(f"deleteUser {user_id} answered {status}: {body[:200]!r}")


def measure_deleted(users: int = DELETED_SCALE[0], deleted: int = DELETED_SCALE[1],
                    limit: int = DELETED_LIMIT) -> dict:
    """getUsers (`limit`) once `deleted` of `users` loaded users, the newest, were soft-deleted through
    deleteUser: the handler's DynamoDB calls and items read, and what it answered."""
    from shared.local.quiet import quiet

    with quiet(), _seeded_runtime(f"bench-deleted-{users}") as (runtime, logins, tokens):
        seeded = {creds["email"] for creds in logins.values() if isinstance(creds, dict) and "email" in creds}
        load(runtime, logins["client_id"], tokens["super_admin"]["user"]["id"], users)
        started = time.perf_counter()
        gone = _newest_loaded(runtime, tokens, seeded, deleted)
        _delete(runtime, tokens, gone)
        seconds = time.perf_counter() - started
        status, body, tally = request(runtime, ("getUsers", "admin", "/users", f"limit={limit}"), tokens)
    page = [u["id"] for u in body.get("items", [])]
    return {"users": users, "deleted": deleted, "seeded": len(seeded - {logins["super_admin"]["email"]}),
            "limit": limit, "status": status, "calls": tally.total, "items_read": tally.items,
            "returned": len(page), "by_call": dict(tally.calls), "delete_seconds": round(seconds, 1),
            "page_ids": page, "deleted_ids": gone}


def report_deleted(row: dict) -> None:
    """The row as `echelonx bench` prints it."""
    print(table(["users", "deleted", "limit", "status", "calls", "items read", "returned", "calls made"],
                [[f"{row['users']:,}", f"{row['deleted']:,}", str(row["limit"]), str(row["status"]), str(row["calls"]),
                  str(row["items_read"]), str(row["returned"]), calls_made(row["by_call"])]], left=0))
    print(f"the newest {row['deleted']:,} of {row['users']:,} loaded users deleted with deleteUser in "
          f"{row['delete_seconds']} s; the {row['seeded']} seeded staff, newer, stay")


def main(quick: bool = False) -> int:
    sizes = QUICK_SIZES if quick else SIZES
    print(f"echelonx bench-scale{' --quick' if quick else ''}: sizes {', '.join(f'{n:,}' for n in sizes)} "
          "(counts of DynamoDB reads per request, the handler alone)", flush=True)
    return 1 if report(measure(sizes)) else 0


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
