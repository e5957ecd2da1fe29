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
    from collections.abc import Callable

Contribution = dict[str, dict[str, int]]  # counter PK → {field: amount}
_registry: dict[str, list[tuple[str, str, Callable]]] = {}
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


def registered(entity: str) -> list[tuple[str, str, Callable]]:
    """The projections declared for `entity`, every domain's declarations loaded on the first call."""
    global _discovered
    if not _discovered:
        from shared.db.discovery import domain_modules

        domain_modules("projections")  # each module registers its projections as it is imported
        _discovered = True
    return _registry.get(entity, [])


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


def change_from_record(record: dict) -> Change | None:
    from boto3.dynamodb.types import TypeDeserializer

    data = record["dynamodb"]
    des = TypeDeserializer()
    new = {k: des.deserialize(v) for k, v in (data.get("NewImage") or {}).items()} or None
    old = {k: des.deserialize(v) for k, v in (data.get("OldImage") or {}).items()} or None
    source = new or old
    if not source or "entity" not in source:
        return None
    version = int(source.get("version", 0))
    removed = record["eventName"] == "REMOVE"
    return Change(source["entity"], source["PK"], source["SK"], 2 * version + (1 if removed else 0),
                  None if removed else new, str(source.get("id", "")))


def apply(change: Change) -> int:
    """Apply one change to every projection of its entity; returns how many moved counters."""
    applied = 0
    for name, kind, fn in registered(change.entity):
        applied += _apply_one(name, kind, fn, change)
    return applied


def _apply_one(name: str, kind: str, fn, change: Change) -> int:
    marker_pk = f"{change.pk}#PROJ#{name}"
    for _ in range(5):
        try:
            marker = ProjectionMarker.get(marker_pk, change.sk)
        except ProjectionMarker.DoesNotExist:
            marker = None
        if marker is not None and marker.position >= change.position:
            return 0  # a duplicate, or older than what is already applied
        before: Any = json.loads(marker.contribution) if marker else ({} if kind == "counter" else [])
        after = _contribution(name, kind, fn, change.image)
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
