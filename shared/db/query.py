"""The one way to read a page: a key-condition query on the table or a GSI, with an honest cursor.

Filters without an index run server-side inside a bounded read budget: when the budget is spent
before the page is full, the answer is a short page with a cursor, never a Scan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.db.cursor import decode_cursor
from shared.db.table import Item
from shared.errors import ValidationFailed

MAX_ITEMS_READ = 1000  # per request, when a filter discards items


def page(model: type[Item], partition: str, *, index: str | None = None, limit: int = 50,
         cursor: str | None = None, sk_begins: str | None = None, sk_between: tuple[str, str] | None = None,
         newest_first: bool = False, keep: Callable[[Any], bool] | None = None) -> tuple[list, dict | None]:
    """Items of one partition (`PK`, or `GSI<n>PK` with `index`), at most `limit`, and the cursor key.

    `keep` filters in code within MAX_ITEMS_READ items read; the cursor then resumes after the
    last item read, so no item is skipped or repeated."""
    start = decode_cursor(cursor)
    pk_name = f"{index}PK" if index else "PK"
    if start is not None and start.get(pk_name) != partition:
        raise ValidationFailed("cursor belongs to another listing", field="/query/cursor")
    target = getattr(model, index.lower()) if index else model
    condition = _range(getattr(model, f"{index}SK" if index else "SK"), sk_begins, sk_between)
    budget = limit if keep is None else MAX_ITEMS_READ
    results = target.query(partition, condition, scan_index_forward=not newest_first, limit=budget,
                           page_size=limit, last_evaluated_key=_raw(start))
    items: list = []
    for item in results:
        if keep is None or keep(item):
            items.append(item)
            if len(items) == limit:
                return items, _key_of(item, index)
    return items, _flat(results.last_evaluated_key)


def _range(sk_attr, begins: str | None, between: tuple[str, str] | None):
    if begins is not None:
        return sk_attr.startswith(begins)
    if between is not None:
        return sk_attr.between(*between)
    return None


def _raw(flat: dict | None) -> dict | None:
    return {k: {"S": v} for k, v in flat.items()} if flat else None


def _flat(raw: dict | None) -> dict | None:
    return {k: v["S"] for k, v in raw.items()} if raw else None


def _key_of(item: Item, index: str | None) -> dict:
    key = {"PK": item.PK, "SK": item.SK}
    if index:
        key[f"{index}PK"] = getattr(item, f"{index}PK")
        key[f"{index}SK"] = getattr(item, f"{index}SK")
    return key
