"""Stream projections: counters (and other derived items) kept exact from the table's stream.

A domain declares, per entity, a function `contribution(image) -> {counter_key: {field: n}}`
saying what one item adds to which counter items, in its own `shared/<domain>/projections.py`;
those modules are found and imported at first use (`shared.db.discovery`), so neither the stream
handler nor this module lists the domains. For each stream record the consumer compares
the item's new contribution with the one recorded for it (a marker item) and applies only the
difference, in one transaction with the marker. The marker carries the record's position
(version, with a removal after the same version), so a duplicated or out-of-order record changes
nothing: counters equal a recount whatever the delivery order.

Sharded counters. A counter item takes at most its partition's write rate (1,000 writes a second),
so a hot one is declared with `shards=N` (`@counter("MEMBER", "member-stats", shards=16)`): the
function still names the counter's own key, and each item's contribution goes to one of N shard
items, chosen by a hash of the item's PK and SK, so an item always lands in the same shard and its
marker records which. Shard 0 is the counter's own key (a counter that grows from 1 shard to N keeps
its data); shard i > 0 is `<key>#SHARD#<i>`. `read_counter(key, shards=N)` sums the N items of one
BatchGetItem. The shard count may grow, never shrink (items recorded in a shard above the new count
would no longer be read).

Bounded free-text dimensions. `tally(..., open_categories={"acquisition_channel": ("channel", 50)})`
counts a free-text field (or each distinct value of a list field, such as tags) under
`channel_<value>` only for values admitted into the counter's value set, at most 50 of them; every
other value counts under `channel_other`. The rule: a value is admitted by the first item that
contributes it while the set has room, in the same transaction as that contribution, on the
condition that the set is still the size that was read (so two consumers never admit past the cap);
a set never loses a value and a full set never changes. Hence a value counts as "other" exactly
when it is not in the set as it ends up, whatever the order records arrive in: every contribution,
recorded in its item's marker, equals the one computed against the final set, and `echelonx recount`
computes with that same set. The value "other" itself counts as other. "Top values" in an answer
(`top_values`) are the admitted values by count (ties by value), the rest summed as "other". A
careless import fills the set with its first 50 values, never with a million counters.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import TransactWriteError

from shared.db.table import Item
from shared.db.tx import MAX_ITEMS, Tx

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

Contribution = dict[str, dict[str, int]]  # counter PK → {field: amount}
_registry: dict[str, list[tuple[str, str, Callable]]] = {}
_readers: list[tuple[frozenset[str], Callable]] = []
MAX_TOKENS = 49  # per item: old + new tokens + the marker stay within one 100-item transaction
MAX_SHARDS = 100  # one BatchGetItem reads a counter's shards
OTHER = "other"
SHARD = "#SHARD#"
VALUES_SK = "VALUES"


def counter(entity: str, name: str, shards: int = 1):
    """Register `fn(image) -> Contribution` for items whose `entity` is `entity`; with `shards` > 1, each
    counter it names is spread over that many shard items (read them with `read_counter(key, shards)`)."""
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"{name}: shards must be 1 to {MAX_SHARDS}, not {shards}")

    def wrap(fn):
        _registry.setdefault(entity, []).append((name, "counter", fn if shards == 1 else _spread(fn, shards)))
        return fn

    return wrap


def search_index(entity: str, name: str):
    """Register `fn(image) -> set of (PK, SK)`: a token item is kept at each (`shared.search` says
    which), so a prefix search is one query of one partition. At most MAX_TOKENS per item."""

    def wrap(fn):
        _registry.setdefault(entity, []).append((name, "tokens", fn))
        return fn

    return wrap


def counted_items(*entities: str):
    """Register `fn(client_id) -> images` (client_id None: the platform's own items): every item of the
    scope whose entity is one of `entities`, read by key or index (never a Scan), as the stream's images
    would show them (`query_images`, `get_images`). `echelonx recount` rebuilds counters from them."""

    def wrap(fn):
        _readers.append((frozenset(entities), fn))
        return fn

    return wrap


def tally(image: dict, counter_key: str, categories: dict[str, str], flags: tuple[str, ...] = (),
          open_categories: dict[str, tuple[str, int]] | None = None) -> Contribution:
    """What one live item adds to a stats counter: `total`, one `<prefix>_<value>` per categorical
    field present (categories: attribute → prefix; a list field adds one per distinct value), and each
    true flag. `open_categories` (attribute → (prefix, at most how many values)) are free-text fields,
    counted by value only for the values admitted into the counter's bounded set (module docstring).
    Deleted items add nothing."""
    if image.get("deleted_at"):
        return {}
    fields: dict[str, int] = {"total": 1}
    fields.update({f"{prefix}_{value}": 1 for name, prefix in categories.items() for value in _values(image.get(name))})
    fields.update({flag: 1 for flag in flags if image.get(flag)})
    for name, (prefix, limit) in (open_categories or {}).items():
        fields.update({OpenField(counter_key, prefix, value, limit): 1 for value in _values(image.get(name))})
    return {counter_key: fields}


def _values(value: Any) -> list[str]:
    """The distinct values a field counts under: its value, or each distinct one of a list (none if empty)."""
    if isinstance(value, list | set | tuple | frozenset):
        return sorted({str(v) for v in value} - {""})
    return [str(value)] if value else []


def shard_keys(counter_pk: str, shards: int) -> list[str]:
    """The keys of a counter's shard items: its own key, then `<key>#SHARD#1` ... `#SHARD#<shards-1>`."""
    return [counter_pk] + [f"{counter_pk}{SHARD}{i}" for i in range(1, shards)]


def shard_of(item_pk: str, item_sk: str, shards: int) -> int:
    """The shard an item's contribution goes to: the same for the item wherever and whenever it is
    computed (a stable hash of its key, not Python's per-process `hash`)."""
    digest = hashlib.blake2b(f"{item_pk}\x00{item_sk}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def _spread(fn: Callable, shards: int) -> Callable:
    """`fn` with each counter key it names replaced by the key of the item's shard of that counter."""

    def sharded(image: dict) -> Contribution:
        shard = shard_of(image["PK"], image["SK"], shards)
        return {shard_keys(counter_pk, shards)[shard]: fields for counter_pk, fields in fn(image).items()}

    sharded.__name__ = sharded.__qualname__ = getattr(fn, "__name__", "sharded")
    sharded.shards = shards  # type: ignore[attr-defined]
    return sharded


def shards_of(fn: Callable) -> int:
    """How many shards a registered counter projection spreads each of its counters over."""
    return getattr(fn, "shards", 1)


def counter_of(shard_pk: str) -> str:
    """The key of the counter a shard item belongs to (shard 0 is the counter's own key)."""
    return shard_pk.partition(SHARD)[0]


class OpenField(str):
    """A counter field of a free-text value, `<prefix>_<value>`, that counts under its own name only once
    the value is in the counter's set of admitted values (`resolve`), else under `<prefix>_other`."""

    values_key: str
    prefix: str
    value: str
    limit: int

    def __new__(cls, counter_key: str, prefix: str, value: str, limit: int) -> OpenField:
        field = super().__new__(cls, f"{prefix}_{value}")
        field.values_key, field.prefix, field.value, field.limit = values_key(counter_key, prefix), prefix, value, limit
        return field


def values_key(counter_key: str, prefix: str) -> str:
    """The PK of the set of values admitted to their own field under `prefix` in a counter."""
    return f"{counter_key}#VALUES#{prefix}"


def open_sets(contribution: Contribution) -> set[str]:
    """The value sets (their PKs) a contribution's free-text fields are resolved against."""
    return {f.values_key for fields in contribution.values() for f in fields if isinstance(f, OpenField)}


def resolve(contribution: Contribution, sets: dict[str, set[str]]) -> tuple[Contribution, dict[str, list[str]]]:
    """The contribution with each free-text field named as it counts: its own name if its value is in
    its set or the set has room (then the value is admitted into `sets`), else `<prefix>_other`. Returns
    it and the values admitted, per set. Fields are taken in name order, so the result is the same
    for the same item and sets."""
    out: Contribution = {}
    admitted: dict[str, list[str]] = {}
    for counter_pk, fields in contribution.items():
        into = out.setdefault(counter_pk, {})
        for field in sorted(fields):
            name = str.__str__(field)
            if isinstance(field, OpenField):
                have = sets.setdefault(field.values_key, set())
                if field.value not in have and field.value != OTHER and len(have) < field.limit:
                    have.add(field.value)
                    admitted.setdefault(field.values_key, []).append(field.value)
                name = name if field.value in have else f"{field.prefix}_{OTHER}"
            into[name] = into.get(name, 0) + fields[field]
    return out, admitted


def top_values(counts: dict[str, int], prefix: str, top: int) -> list[tuple[str, int]]:
    """A free-text dimension as an answer shows it: the `top` values with the highest counts (ties by
    value), then ("other", the rest: the values past the top and those never admitted) if any."""
    mark = f"{prefix}_"
    found = sorted(((f[len(mark):], n) for f, n in counts.items() if f.startswith(mark) and f != mark + OTHER and n),
                   key=lambda vn: (-vn[1], vn[0]))
    rest = sum(n for _, n in found[top:]) + counts.get(mark + OTHER, 0)
    return found[:top] + ([(OTHER, rest)] if rest else [])


_discovered = False


def _discover() -> None:
    global _discovered
    if not _discovered:
        from shared.db.discovery import domain_modules

        domain_modules("projections")  # each module registers its projections as it is imported
        _discovered = True


def registered(entity: str) -> list[tuple[str, str, Callable]]:
    """The projections declared for `entity`, every domain's declarations loaded on the first call."""
    _discover()
    return _registry.get(entity, [])


def counters() -> dict[str, list[tuple[str, Callable]]]:
    """Every counter projection, by entity: {entity: [(name, fn)]}."""
    _discover()
    return {entity: [(name, fn) for name, kind, fn in found if kind == "counter"]
            for entity, found in _registry.items() if any(kind == "counter" for _, kind, _ in found)}


def readers() -> list[tuple[frozenset[str], Callable]]:
    """Every `counted_items` declaration: (entities, reader)."""
    _discover()
    return list(_readers)


class SearchToken(Item, discriminator="SEARCH_TOKEN"):
    """One searchable word of one item: PK = the word's partition, SK = `<word>#<item id>`."""

    def keys(self):
        return {}


class Counter(Item, discriminator="COUNTER"):
    """A pre-aggregated counter item: numeric attributes added to by projections."""

    def keys(self):
        return {}


class ProjectionMarker(Item, discriminator="PROJECTION_MARKER"):
    """What one source item currently contributes to one projection, and up to which record."""

    position = NumberAttribute()
    contribution = UnicodeAttribute()  # JSON Contribution

    def keys(self):
        return {}


class CounterValues(Item, discriminator="COUNTER_VALUES"):
    """The values of one free-text dimension of a counter that count under their own field: PK =
    `values_key(counter, prefix)`. Only ever grows, and never past the dimension's limit."""

    admitted = UnicodeSetAttribute(null=True)
    value_count = NumberAttribute(null=True)  # len(admitted), which an admission's condition checks

    def keys(self):
        return {}


@dataclass(frozen=True)
class Change:
    entity: str
    pk: str
    sk: str
    position: int  # 2*version for writes, 2*version+1 for a removal
    image: dict | None  # the new image (plain Python values), None when removed
    item_id: str = ""


def image(raw: dict | None) -> dict:
    """An item in DynamoDB's JSON (a stream image, a raw read) as plain Python values."""
    from boto3.dynamodb.types import TypeDeserializer

    des = TypeDeserializer()
    return {k: des.deserialize(v) for k, v in (raw or {}).items()}


def position(item: dict, removed: bool = False) -> int:
    """Where a change of the item stands: 2*version for a write, 2*version+1 for its removal."""
    return 2 * int(item.get("version", 0)) + (1 if removed else 0)


def change_from_record(record: dict) -> Change | None:
    data = record["dynamodb"]
    new, old = image(data.get("NewImage")) or None, image(data.get("OldImage")) or None
    source = new or old
    if not source or "entity" not in source:
        return None
    removed = record["eventName"] == "REMOVE"
    return Change(source["entity"], source["PK"], source["SK"], position(source, removed),
                  None if removed else new, str(source.get("id", "")))


def change_of(item: dict) -> Change:
    """The change that brings an item's projections to the item as it is now (recount)."""
    return Change(item["entity"], item["PK"], item["SK"], position(item), item, str(item.get("id", "")))


def marker_key(item_pk: str, item_sk: str, projection: str) -> tuple[str, str]:
    return f"{item_pk}#PROJ#{projection}", item_sk


def apply(change: Change, refresh: bool = False) -> int:
    """Apply one change to every projection of its entity; returns how many moved. With `refresh`, a
    change at the marker's own position is applied too when the item's contribution differs from the
    recorded one (a recount, after a projection's definition changed).

    All the entity's markers (and the value sets its counters resolve against) are read in one
    BatchGetItem, and what moved is written in as few transactions as fit (100 items, one operation
    per item): a member's five projections cost 2 calls, not 10. A transaction that lost a race is
    computed again from a consistent read, for its projections only."""
    found = {name: (kind, _contribution(name, kind, fn, change.image)) for name, kind, fn in registered(change.entity)}
    pending, applied = list(found), 0
    for attempt in range(5):
        # Read again consistently after a race: an eventually consistent read may miss what won it.
        markers, sets = _states(change, {name: found[name] for name in pending}, attempt > 0)
        plans = {}
        for name in pending:
            tx = _plan(change, name, *found[name], markers.get(name), sets, refresh)
            if tx is not None:
                plans[name] = tx
        raced: list[str] = []
        for names, tx in _packed(plans):
            try:
                tx.commit()
                applied += len(names)
            except _Raced:
                raced += names
        if not raced:
            return applied
        pending = raced
    raise TransactWriteError("projection marker kept moving")


def _plan(change: Change, name: str, kind: str, found: Any, marker: tuple[int, Any] | None,
          sets: dict[str, frozenset[str]], refresh: bool) -> Tx | None:
    """The writes that bring one projection from its marker to this change (None: nothing to do)."""
    if marker is not None and (marker[0] > change.position or (marker[0] == change.position and not refresh)):
        return None  # a duplicate, or older than what is already applied
    before: Any = marker[1] if marker else ({} if kind == "counter" else [])
    after: Any = found
    admitted: dict[str, list[str]] = {}
    if kind == "counter":
        after, admitted = resolve(found, {k: set(v) for k, v in sets.items()})
    if marker is not None and marker[0] == change.position and json.loads(json.dumps(after)) == before:
        return None  # refreshed, and nothing to change
    tx = Tx()
    condition = ProjectionMarker.PK.does_not_exist() if marker is None else ProjectionMarker.position == marker[0]
    marker_pk, _ = marker_key(change.pk, change.sk, name)
    tx.put(ProjectionMarker(PK=marker_pk, SK=change.sk, position=change.position,
                            contribution=json.dumps(after, sort_keys=True)), condition=condition, on_fail=_Raced())
    if kind == "counter":
        for key, values in admitted.items():
            _admit(tx, key, values, len(sets.get(key, ())))
        for counter_pk, fields in _difference(before, after).items():
            tx.update(Counter(PK=counter_pk, SK="COUNTER"),
                      [Counter.entity.set(Counter)] + [_add(f, n) for f, n in fields.items()])
    else:
        _move_tokens(tx, before, after, change.item_id)
    return tx


def _packed(plans: dict[str, Tx]) -> Iterator[tuple[list[str], Tx]]:
    """The projections' writes as few transactions: each within DynamoDB's 100 items, and none naming
    one item twice (two counters admitting into one value set go in separate transactions)."""
    names: list[str] = []
    tx, keys = Tx(), set[tuple[str, str]]()
    for name, plan in plans.items():
        mine = {_op_key(op) for op in plan.ops}
        if names and (len(tx.ops) + len(plan.ops) > MAX_ITEMS or keys & mine):
            yield names, tx
            names, tx, keys = [], Tx(), set()
        names.append(name)
        tx.ops += plan.ops
        keys |= mine
    if names:
        yield names, tx


def _op_key(op) -> tuple[str, str]:
    if op.kind == "check":
        return op.item[1], op.item[2]
    return op.item.PK, op.item.SK


def _states(change: Change, pending: dict[str, tuple[str, Any]], consistent: bool
            ) -> tuple[dict[str, tuple[int, Any]], dict[str, frozenset[str]]]:
    """The pending projections' markers ({name: (position, recorded contribution)}, absent ones left
    out) and the admitted values of the value sets their counters resolve against: one BatchGetItem."""
    by_marker = {marker_key(change.pk, change.sk, name)[0]: name for name in pending}
    sets = sorted({key for kind, found in pending.values() if kind == "counter" for key in open_sets(found)})
    keys = [(pk, change.sk) for pk in by_marker] + [(key, VALUES_SK) for key in sets]
    markers, held = {}, {}
    for i in range(0, len(keys), 100):
        for raw in _batch_get_raw([{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in keys[i:i + 100]], consistent):
            pk = raw["PK"]["S"]
            if pk in by_marker and raw["SK"]["S"] == change.sk:
                markers[by_marker[pk]] = (int(raw["position"]["N"]), json.loads(raw["contribution"]["S"]))
            else:
                held[pk] = frozenset(raw.get("admitted", {}).get("SS", ()))
    return markers, held


def admitted_values(keys: Iterable[str]) -> dict[str, set[str]]:
    """The admitted values of these sets (by `values_key`; absent → empty), one BatchGetItem per 100."""
    held: dict[str, set[str]] = {key: set() for key in keys}
    for item in get_images([(key, VALUES_SK) for key in held]):
        held[item["PK"]] = set(item.get("admitted") or ())
    return held


def _admit(tx: Tx, key: str, values: list[str], held: int) -> None:
    """Admit `values` into a set, on the condition that it still holds the `held` values read (else
    another record admitted first: the change is computed again)."""
    condition = CounterValues.value_count.does_not_exist() if held == 0 else CounterValues.value_count == held
    tx.update(CounterValues(PK=key, SK=VALUES_SK),
              [CounterValues.entity.set(CounterValues), CounterValues.admitted.add(set(values)),
               CounterValues.value_count.set(held + len(values))], condition=condition, on_fail=_Raced())


def _contribution(name: str, kind: str, fn, image: dict | None) -> Any:
    """What the item contributes now: counter amounts (free-text fields not resolved yet), or its
    sorted token keys (none once removed)."""
    if kind == "counter":
        return fn(image) if image is not None else {}
    after = sorted(fn(image)) if image is not None else []
    if len(after) > MAX_TOKENS:  # a search_index's budget is wrong: refuse loudly, never cut silently
        raise ValueError(f"{name} gives {len(after)} tokens for one item; at most {MAX_TOKENS}")
    return after


def _move_tokens(tx: Tx, before: list, after: list, item_id: str) -> None:
    had, has = {_token_key(t, item_id) for t in before}, {tuple(t) for t in after}
    for pk, sk in had - has:
        tx.delete(SearchToken(PK=pk, SK=sk))
    for pk, sk in has - had:
        tx.put(SearchToken(PK=pk, SK=sk))


class _Raced(Exception):
    pass


def _token_key(token, item_id: str) -> tuple[str, str]:
    """A token a marker recorded: (PK, SK), or, from markers written before tokens named their
    word, a bare partition key whose SK was the item id (so those tokens are removed too)."""
    return (token, item_id) if isinstance(token, str) else (token[0], token[1])


def _add(field: str, amount: int):
    return NumberAttribute(attr_name=field).add(amount)


def _difference(before: Contribution, after: Contribution) -> Contribution:
    out: Contribution = {}
    for counter_pk in set(before) | set(after):
        b, a = before.get(counter_pk, {}), after.get(counter_pk, {})
        fields = {f: a.get(f, 0) - b.get(f, 0) for f in set(a) | set(b)}
        fields = {f: n for f, n in fields.items() if n}
        if fields:
            out[counter_pk] = fields
    return out


def read_counter(counter_pk: str, shards: int = 1) -> dict[str, int]:
    """A counter's fields (absent → empty): one GetItem, or for a counter declared with `shards`, one
    BatchGetItem of its shard items, summed."""
    if shards > 1:
        return read_counters([counter_pk], shards)[counter_pk]
    raw = Counter._get_connection().get_item(counter_pk, range_key="COUNTER").get("Item") or {}
    return _amounts(raw)


def read_counters(counter_pks: list[str], shards: int = 1) -> dict[str, dict[str, int]]:
    """Several counters (absent → empty), each the sum of its `shards` items: one BatchGetItem per
    100 items."""
    out: dict[str, dict[str, int]] = {pk: {} for pk in counter_pks}
    of = {shard: pk for pk in out for shard in shard_keys(pk, shards)}  # shard item → its counter
    items = list(of)
    for i in range(0, len(items), 100):
        for raw in _batch_get_raw([{"PK": {"S": pk}, "SK": {"S": "COUNTER"}} for pk in items[i:i + 100]]):
            into = out[of[raw["PK"]["S"]]]
            for f, n in _amounts(raw).items():
                into[f] = into.get(f, 0) + n
    return out


def _amounts(raw: dict) -> dict[str, int]:
    return {k: int(v["N"]) for k, v in raw.items() if "N" in v and k != "version"}


def query_images(partition: str, index: str | None = None) -> Iterator[dict]:
    """Every item of one partition of the table (or of `index`), as plain images, page by page."""
    conn, start = Counter._get_connection(), None
    while True:
        page = conn.query(partition, index_name=index, exclusive_start_key=start)
        yield from (image(raw) for raw in page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def get_images(keys: list[tuple[str, str]]) -> list[dict]:
    """The items at these (PK, SK) keys that exist, as plain images: one BatchGetItem per 100 keys."""
    unique = list(dict.fromkeys(keys))
    found: list[dict] = []
    for i in range(0, len(unique), 100):
        found += [image(raw) for raw in _batch_get_raw([{"PK": {"S": pk}, "SK": {"S": sk}}
                                                       for pk, sk in unique[i:i + 100]])]
    return found


def _batch_get_raw(keys: list[dict], consistent: bool = False) -> list[dict]:
    conn = Counter._get_connection()
    pending, found = {conn.table_name: {"Keys": keys, "ConsistentRead": consistent}}, []
    for _ in range(8):  # unprocessed keys (throttling) are asked for again
        answer = conn.connection.dispatch("BatchGetItem", {"RequestItems": pending})
        found += answer.get("Responses", {}).get(conn.table_name, [])
        pending = answer.get("UnprocessedKeys") or {}
        if not pending:
            return found
    raise RuntimeError("BatchGetItem kept leaving keys unprocessed")


def process_batch(records: list[dict]) -> dict:
    """A stream batch. Each item's changes in the batch come down to its last one (a projection depends only
    on the item as it ends up and the marker's position, so applying the earlier ones first changes
    nothing): a communication written five times on its way to delivered costs one apply, not five. Items
    are applied in the order of their first record; on a failure, that item's first record and everything
    after it are reported for redelivery (Lambda's partial batch response for streams retries from the
    lowest), and an item applied before is then applied again harmlessly."""
    from shared.core.log import logger

    last: dict[tuple[str, str], tuple[str, Change]] = {}  # item → (its first sequence number, its last change)
    failed_at: str | None = None
    for record in records:
        sequence = record["dynamodb"]["SequenceNumber"]
        try:
            change = change_from_record(record)
        except Exception:  # noqa: BLE001 - an unreadable record: what came before it is applied, then retry
            logger.exception("unreadable stream record", extra={"sequence": sequence})
            failed_at = sequence
            break
        if change is None:
            continue
        key = (change.pk, change.sk)
        first, seen = last.get(key, (sequence, change))
        last[key] = (first, change if change.position >= seen.position else seen)
    for first, change in last.values():  # dicts keep insertion order: the order of first records
        try:
            apply(change)
        except Exception:  # noqa: BLE001 - any failure retries from this item's first record
            logger.exception("projection failed", extra={"sequence": first})
            failed_at = first if failed_at is None or int(first) < int(failed_at) else failed_at
            break
    return {"batchItemFailures": [{"itemIdentifier": failed_at}] if failed_at else []}
