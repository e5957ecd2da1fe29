"""Items due at a time, found across every tenant by a sweeper: one sparse index partition per kind of
item, in a few shards.

Why not a partition per tenant: a sweep then makes one query per tenant every minute, however few
items are due (at 1,000 tenants, 1,000 queries a minute to find nothing). Here a sweep makes `SHARDS`
queries whatever the number of tenants, and the shards keep the writes of a busy kind of item off one
partition. The item keeps its own tenant key (`client_id`); only its place in the due index is shared.

An item is in the index while it is due for something: its index keys are `partition(kind, pk)` and
`sort_key(due_ms, id)`, and None once the thing is done (a sparse index holds only the pending ones).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.db import query
from shared.db.projections import shard_of
from shared.db.table import platform_key

if TYPE_CHECKING:
    from shared.db.table import Item

SHARDS = 4


def partition(kind: str, item_pk: str) -> str:
    """`P#DUE#<kind>#<shard>`: the index partition an item of this kind is due in (stable per item)."""
    return platform_key("DUE", kind, str(shard_of(item_pk, "", SHARDS)))


def sort_key(due_ms: float, item_id: str) -> str:
    """Due time first (15 digits, so that text order is time order), then the id to keep keys unique."""
    return f"{int(due_ms):015d}#{item_id}"


def due_items(model: type[Item], kind: str, *, index: str, now_ms: int, limit: int) -> list:
    """Items of `kind` due at or before `now_ms`, at most `limit` from each shard, soonest first within a
    shard: `SHARDS` range queries on `index`."""
    found: list = []
    for shard in range(SHARDS):
        items, _ = query.page(model, platform_key("DUE", kind, str(shard)), index=index, limit=limit,
                              sk_between=(sort_key(0, ""), f"{int(now_ms):015d}~"))
        found.extend(items)
    return found
