"""Rebuilding a tenant's counters from its items (`echelonx recount`), for when the stream consumer
lost a record (parked past its retries) or a counter was damaged.

Each domain says where a scope's counted items are (`@projections.counted_items`, read by key or index,
never a Scan). The recount reads them, adds up what each contributes by the counter projections the
stream consumer uses, and compares that with the stored counter items. A real run first brings every
item whose projection marker is behind the item (a lost or pending record) up to date through the
consumer's own path (`projections.apply`, marker and counters in one transaction), so the markers agree
with the counters it then writes, and a later change of that item moves them from the right place.
The counters are written only if they still hold what was read and the items have not changed since
(read twice); a tenant that keeps changing makes the run stop and say so, never write a stale count.

Shards and bounded dimensions are recounted as the consumer writes them: an item's contribution goes
to the shard its key hashes to, so each shard item is compared with (and set to) the sum of its own
items, and the shards together hold the counter. Free-text fields are resolved against the counter's
admitted values as stored (a set only grows and a full one never changes, so that is the set every
up-to-date item was counted with); an item behind whose value the set would still admit is counted
as the consumer will count it, and once the real run has brought it up to date the sums are taken
again against the set as it then is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import UpdateError

from shared.db import projections
from shared.db.table import platform_key, tenant_key

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

ATTEMPTS = 3


@dataclass(frozen=True)
class Difference:
    counter: str  # the counter item's PK
    field: str
    stored: int
    recounted: int


@dataclass
class Recount:
    """What a recount found (and, unless a dry run, repaired)."""

    items: int = 0  # counted items read
    behind: int = 0  # items whose projection marker was behind the item (lost or pending stream records)
    differences: list[Difference] = field(default_factory=list)
    not_rebuilt: list[str] = field(default_factory=list)  # counter projections no domain says how to read
    written: bool = False


class TenantKeptChanging(Exception):
    """The scope's items or counters moved during every attempt: nothing stale was written."""


def in_scope(counter_pk: str, client_id: str | None) -> bool:
    """Whether a counter belongs to the tenant (`T#<id>#...`), or to the platform (`P#...`) for None."""
    return counter_pk.startswith(tenant_key(client_id, "") if client_id else platform_key(""))


def recount(client_id: str | None, *, dry_run: bool) -> Recount:
    """Compare (and unless `dry_run`, repair) every counter of the tenant `client_id` (None: the platform)."""
    for _ in range(ATTEMPTS):
        result = _attempt(client_id, dry_run)
        if result is not None:
            return result
    raise TenantKeptChanging(f"the counted items of {client_id or 'the platform'} kept changing during "
                             f"{ATTEMPTS} attempts; nothing stale was written: run it again")


def _attempt(client_id: str | None, dry_run: bool) -> Recount | None:
    """One read and, unless a dry run, one repair; None when the tenant moved underneath it."""
    by_entity = projections.counters()
    readable = set().union(*(entities for entities, _ in projections.readers()))
    result = Recount(not_rebuilt=sorted(f"{name} ({entity})" for entity, found in by_entity.items()
                                        if entity not in readable for name, _ in found))
    items = sorted(_read(client_id), key=lambda i: (i["PK"], i["SK"]))  # the order values are admitted in
    markers = _markers(items, by_entity)
    now = _contributions(items, by_entity)
    behind = [item for item in items if _is_behind(item, by_entity, markers, now)]
    keys = _in_scope(now, markers, by_entity, client_id)
    result.items, result.behind = len(items), len(behind)
    result.differences = _differences(keys, projections.read_counters(keys), _add_up(now))
    if dry_run or not (result.differences or behind):
        return result
    for item in behind:  # the consumer's own path: marker and counters move together
        projections.apply(projections.change_of(item), refresh=True)
    if behind:  # they may have admitted values: the sums are taken against the sets as they are now
        now = _contributions(items, by_entity)
        keys = _in_scope(now, markers, by_entity, client_id)
    stored = projections.read_counters(keys)
    if _versions(_read(client_id)) != _versions(items):
        return None  # an item changed since it was read: its stream record may be on its way
    remaining = _differences(keys, stored, _add_up(now))
    for counter_pk in {d.counter for d in remaining}:
        if not _write(counter_pk, [d for d in remaining if d.counter == counter_pk], stored[counter_pk]):
            return None
    result.written = True
    return result


def _in_scope(now: dict, markers: dict, by_entity: dict, client_id: str | None) -> list[str]:
    """Every counter item the items add to or their markers say they added to, in the scope: for a
    sharded counter, all its shards (a damaged shard that no item lands in is put right too)."""
    shards = {name: projections.shards_of(fn) for found in by_entity.values() for name, fn in found}
    keys: set[str] = set()
    for (marker_pk, _), contribution in [*now.items(), *((k, json.loads(m["contribution"])) for k, m in markers.items())]:
        n = shards[marker_pk.rpartition("#PROJ#")[2]]
        keys.update(*(projections.shard_keys(projections.counter_of(k), n) for k in contribution))
    return sorted(k for k in keys if in_scope(k, client_id))


def _differences(keys: list[str], stored: dict[str, dict[str, int]],
                 recounted: dict[str, dict[str, int]]) -> list[Difference]:
    return [Difference(k, f, stored[k].get(f, 0), recounted.get(k, {}).get(f, 0))
            for k in keys for f in sorted(set(stored[k]) | set(recounted.get(k, {})))
            if stored[k].get(f, 0) != recounted.get(k, {}).get(f, 0)]


def _contributions(items: list[dict], by_entity: dict) -> dict[tuple[str, str], projections.Contribution]:
    """What each item contributes to each counter projection (by marker key), its free-text fields
    resolved against the stored admitted values, in the items' order (the order the real run brings
    the items behind up to date in, and so admits their values in)."""
    found = {projections.marker_key(item["PK"], item["SK"], name): fn(item)
             for item in items for name, fn in by_entity.get(item["entity"], [])}
    sets = projections.admitted_values(set().union(*map(projections.open_sets, found.values())))
    return {key: projections.resolve(contribution, sets)[0] for key, contribution in found.items()}


def _add_up(now: dict[tuple[str, str], projections.Contribution]) -> dict[str, dict[str, int]]:
    """What the items add to each counter (shard) item."""
    recounted: dict[str, dict[str, int]] = {}
    for contribution in now.values():
        for counter_pk, fields in contribution.items():
            into = recounted.setdefault(counter_pk, {})
            for f, n in fields.items():
                into[f] = into.get(f, 0) + n
    return recounted


def _read(client_id: str | None) -> list[dict]:
    found: dict[tuple[str, str], dict] = {}
    for entities, reader in projections.readers():
        for item in reader(client_id):
            if item.get("entity") in entities:
                found[(item["PK"], item["SK"])] = item
    return list(found.values())


def _versions(items: list[dict]) -> dict[tuple[str, str], int]:
    return {(i["PK"], i["SK"]): int(i.get("version", 0)) for i in items}


def _markers(items: list[dict], by_entity: dict) -> dict[tuple[str, str], dict]:
    """The counter projections' markers of these items, by marker key (absent ones left out)."""
    keys = [projections.marker_key(i["PK"], i["SK"], name) for i in items for name, _ in by_entity.get(i["entity"], [])]
    return {(m["PK"], m["SK"]): m for m in projections.get_images(keys)}


def _is_behind(item: dict, by_entity: dict, markers: dict, now: dict) -> bool:
    """Whether a counter projection of the item records less than the item as it is now."""
    for name, _ in by_entity.get(item["entity"], []):
        key = projections.marker_key(item["PK"], item["SK"], name)
        marker, contribution = markers.get(key), json.loads(json.dumps(now[key]))
        if marker is None:
            if contribution:
                return True
        elif int(marker["position"]) < projections.position(item) or json.loads(marker["contribution"]) != contribution:
            return True
    return False


def _write(counter_pk: str, differences: list[Difference], stored: dict[str, int]) -> bool:
    """Set the recounted fields, if the counter still holds what was read; False if it moved."""
    condition = None
    for d in differences:
        held = NumberAttribute(attr_name=d.field)
        clause = held == d.stored if d.field in stored else held.does_not_exist()
        condition = clause if condition is None else condition & clause
    actions: list[Action] = [projections.Counter.entity.set(projections.Counter)]
    actions += [NumberAttribute(attr_name=d.field).set(d.recounted) for d in differences]
    try:
        projections.Counter(PK=counter_pk, SK="COUNTER").update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
