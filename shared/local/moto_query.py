"""A Query reads its own partition, not the whole table.

Why: moto 5.2.5's ``Table.query`` starts from ``all_items()``, which lists and sorts every item of the
table (comparing ``DynamoType``s), and then keeps those of the asked partition. So every Query cost
O(n log n) in the table's size: a table grown by a long suite or a seeded tenant made each request
slower than the last (measured: the rights matrix, run late in a suite worker, took minutes).

``install()`` hands moto's own ``query`` only the candidate items: the partition's items straight
from moto's dict for a table query, and for an index query the items whose index hash key equals the
asked one (one pass of plain value comparisons, no sort). Everything else (range conditions,
sorting, filters, limits, pagination, projections) is still moto's code on those candidates, so what
a Query answers is unchanged; only the work no longer grows with the rest of the table.

The candidates are lent to moto by shadowing ``all_items`` on the table for the one call. That is
safe because every table call runs under the lock of ``shared.local.moto_txn``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from moto.dynamodb.models.table import Table

if TYPE_CHECKING:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

_original: list[Any] = []


def _partition(table: Table, hash_key: DynamoType) -> list[Item]:
    found = table.items.get(hash_key)
    if found is None:
        return []
    return list(found.values()) if table.range_key_attr else [found]  # type: ignore[list-item]


def _index_partition(table: Table, conditions: list[tuple[str, DynamoType]]) -> list[Item]:
    wanted = [(name, value.type, value.value) for name, value in conditions]
    out: list[Item] = []
    for held in table.items.values():
        items: Any = held.values() if table.range_key_attr else [held]
        for item in items:
            attrs = item.attrs
            if all((got := attrs.get(name)) is not None and got.type == kind and got.value == value
                   for name, kind, value in wanted):
                out.append(item)
    return out


def _query(original):
    @functools.wraps(original)
    def query(self: Table, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
              projection_expressions, index_name=None, consistent_read=False, filter_expression=None,
              hash_key_conditions=None, range_key_conditions=None, **filter_kwargs: Any):
        def moto() -> Any:
            return original(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                            scan_index_forward, projection_expressions, index_name, consistent_read,
                            filter_expression, hash_key_conditions=hash_key_conditions,
                            range_key_conditions=range_key_conditions, **filter_kwargs)

        if index_name is None and hash_key is not None:
            candidates = _partition(self, hash_key)
        elif index_name is not None and hash_key_conditions:
            candidates = _index_partition(self, hash_key_conditions)
        else:
            return moto()
        self.all_items = lambda: candidates  # type: ignore[method-assign]
        try:
            return moto()
        finally:
            del self.all_items

    return query


def install() -> None:
    """Patch moto's Table.query; calling it again is a no-op."""
    if _original:
        return
    _original.append(Table.query)
    Table.query = _query(Table.query)  # type: ignore[method-assign]


def uninstall() -> None:
    while _original:
        Table.query = _original.pop()  # type: ignore[method-assign]
