"""Stream projections: counters (and other derived items) kept exact from the table's stream.

A domain declares, per entity, a function `contribution(image) -> {counter_key: {field: n}}`
saying what one item adds to which counter items, in its own `shared/<domain>/projections.py`;
those modules are found and imported at first use (`shared.db.discovery`), so neither the stream
handler nor this module lists the domains. For each stream record the consumer compares
the item's new contribution with the one recorded for it (a marker item) and applies only the
difference, in one transaction with the marker. The marker carries the record's position
(version, with a removal after the same version), so a duplicated or out-of-order record changes
nothing: counters equal a recount whatever the delivery order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from shared.db.table import Item
from shared.db.tx import Tx

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Contribution = dict[str, dict[str, int]]  # counter PK → {field: amount}
_registry: dict[str, list[tuple[str, str, Callable]]] = {}
_readers: list[tuple[frozenset[str], Callable]] = []
MAX_TOKENS = 49  # per item: old + new tokens + the marker stay within one 100-item transaction


def counter(entity: str, name: str):
    """Register `fn(image) -> Contribution` for items whose `entity` is `entity`."""

    def wrap(fn):
        _registry.setdefault(entity, []).append((name, "counter", fn))
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


def tally(image: dict, counter_key: str, categories: dict[str, str], flags: tuple[str, ...] = ()) -> Contribution:
    """What one live item adds to a stats counter: `total`, one `<prefix>_<value>` per categorical
    field present (categories: attribute → prefix), and each true flag. Deleted items add nothing."""
    if image.get("deleted_at"):
        return {}
    fields = {"total": 1}
    fields.update({f"{prefix}_{image[name]}": 1 for name, prefix in categories.items() if image.get(name)})
    fields.update({flag: 1 for flag in flags if image.get(flag)})
    return {counter_key: fields}


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
    recorded one (a recount, after a projection's definition changed)."""
    applied = 0
    for name, kind, fn in registered(change.entity):
        applied += _apply_one(name, kind, fn, change, refresh)
    return applied


def _apply_one(name: str, kind: str, fn, change: Change, refresh: bool = False) -> int:
    marker_pk, _ = marker_key(change.pk, change.sk, name)
    for _ in range(5):
        try:
            marker = ProjectionMarker.get(marker_pk, change.sk)
        except ProjectionMarker.DoesNotExist:
            marker = None
        if marker is not None and (marker.position > change.position
                                   or (marker.position == change.position and not refresh)):
            return 0  # a duplicate, or older than what is already applied
        before: Any = json.loads(marker.contribution) if marker else ({} if kind == "counter" else [])
        after = _contribution(name, kind, fn, change.image)
        if marker is not None and marker.position == change.position and json.loads(json.dumps(after)) == before:
            return 0  # refreshed, and nothing to change
        tx = Tx()
        condition = ProjectionMarker.PK.does_not_exist() if marker is None else \
            ProjectionMarker.position == marker.position
        tx.put(ProjectionMarker(PK=marker_pk, SK=change.sk, position=change.position,
                                contribution=json.dumps(after, sort_keys=True)), condition=condition,
               on_fail=_Raced())
        if kind == "counter":
            for counter_pk, fields in _difference(before, after).items():
                tx.update(Counter(PK=counter_pk, SK="COUNTER"),
                          [Counter.entity.set(Counter)] + [_add(f, n) for f, n in fields.items()])
        else:
            _move_tokens(tx, before, after, change.item_id)
        try:
            tx.commit()
            return 1
        except _Raced:
            continue
    raise TransactWriteError("projection marker kept moving")


def _contribution(name: str, kind: str, fn, image: dict | None) -> Any:
    """What the item contributes now: counter amounts, or its sorted token keys (none once removed)."""
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


def read_counter(counter_pk: str) -> dict[str, int]:
    """A counter item's fields (absent → empty): one GetItem."""
    raw = Counter._get_connection().get_item(counter_pk, range_key="COUNTER").get("Item") or {}
    return {k: int(v["N"]) for k, v in raw.items() if "N" in v and k != "version"}


def read_counters(counter_pks: list[str]) -> dict[str, dict[str, int]]:
    """Several counter items (absent → empty) in one BatchGetItem per 100 keys."""
    out: dict[str, dict[str, int]] = {pk: {} for pk in counter_pks}
    unique = list(out)
    for i in range(0, len(unique), 100):
        for raw in _batch_get_raw([{"PK": {"S": pk}, "SK": {"S": "COUNTER"}} for pk in unique[i:i + 100]]):
            out[raw["PK"]["S"]] = {k: int(v["N"]) for k, v in raw.items() if "N" in v and k != "version"}
    return out


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


def _batch_get_raw(keys: list[dict]) -> list[dict]:
    conn = Counter._get_connection()
    pending, found = {conn.table_name: {"Keys": keys}}, []
    for _ in range(8):  # unprocessed keys (throttling) are asked for again
        answer = conn.connection.dispatch("BatchGetItem", {"RequestItems": pending})
        found += answer.get("Responses", {}).get(conn.table_name, [])
        pending = answer.get("UnprocessedKeys") or {}
        if not pending:
            return found
    raise RuntimeError("BatchGetItem kept leaving keys unprocessed")


def process_batch(records: list[dict]) -> dict:
    """A stream batch, in order. On the first failure, report it and everything after it for
    redelivery (Lambda's partial batch response for streams retries from that record)."""
    for record in records:
        try:
            change = change_from_record(record)
            if change is not None:
                apply(change)
        except Exception:  # noqa: BLE001 - any failure retries from this record, in order
            from shared.core.log import logger

            logger.exception("projection failed", extra={"sequence": record["dynamodb"]["SequenceNumber"]})
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
