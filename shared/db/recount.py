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
    items = _read(client_id)
    markers = _markers(items, by_entity)
    behind = [item for item in items if _is_behind(item, by_entity, markers)]
    recounted, mentioned = _add_up(items, by_entity, markers)
    keys = sorted(k for k in set(recounted) | mentioned if in_scope(k, client_id))
    result.items, result.behind = len(items), len(behind)
    result.differences = _differences(keys, projections.read_counters(keys), recounted)
    if dry_run or not (result.differences or behind):
        return result
    for item in behind:  # the consumer's own path: marker and counters move together
        projections.apply(projections.change_of(item), refresh=True)
    stored = projections.read_counters(keys)
    if _versions(_read(client_id)) != _versions(items):
        return None  # an item changed since it was read: its stream record may be on its way
    remaining = _differences(keys, stored, recounted)
    for counter_pk in {d.counter for d in remaining}:
        if not _write(counter_pk, [d for d in remaining if d.counter == counter_pk], stored[counter_pk]):
            return None
    result.written = True
    return result


def _differences(keys: list[str], stored: dict[str, dict[str, int]],
                 recounted: dict[str, dict[str, int]]) -> list[Difference]:
    return [Difference(k, f, stored[k].get(f, 0), recounted.get(k, {}).get(f, 0))
            for k in keys for f in sorted(set(stored[k]) | set(recounted.get(k, {})))
            if stored[k].get(f, 0) != recounted.get(k, {}).get(f, 0)]


def _add_up(items: list[dict], by_entity: dict, markers: dict) -> tuple[dict[str, dict[str, int]], set[str]]:
    """What the items add to each counter, and every counter their markers say they add to (one that no
    item adds to any more is recounted too)."""
    recounted: dict[str, dict[str, int]] = {}
    mentioned: set[str] = set()
    for item in items:
        for name, fn in by_entity.get(item["entity"], []):
            for counter_pk, fields in fn(item).items():
                for f, n in fields.items():
                    recounted.setdefault(counter_pk, {}).setdefault(f, 0)
                    recounted[counter_pk][f] += n
            marker = markers.get(projections.marker_key(item["PK"], item["SK"], name))
            mentioned |= set(json.loads(marker["contribution"])) if marker else set()
    return recounted, mentioned


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


def _is_behind(item: dict, by_entity: dict, markers: dict) -> bool:
    """Whether a counter projection of the item records less than the item as it is now."""
    for name, fn in by_entity.get(item["entity"], []):
        marker = markers.get(projections.marker_key(item["PK"], item["SK"], name))
        contribution = json.loads(json.dumps(fn(item)))
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
