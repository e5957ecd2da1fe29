"""The one way to read a page: a key-condition query on the table or a GSI, with an honest cursor.

Filters without an index run server-side inside a bounded read budget: when the budget is spent
before the page is full, the answer is a short page with a cursor, never a Scan.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shared.core.cursor import decode_cursor
from shared.errors import ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from shared.db.table import Item

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
    # A filtered list asks for pages of its whole read budget: pages of `limit` would cost a call
    # for every `limit` items discarded.
    results = target.query(partition, condition, scan_index_forward=not newest_first, limit=budget,
                           page_size=budget, last_evaluated_key=_raw(start))
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


DONE = "~"  # a merged cursor's mark for a source read to its end


class Source:
    """One partition of a merged listing: a partition of the table or of a GSI, optionally filtered."""

    __slots__ = ("partition", "index", "keep")

    def __init__(self, partition: str, index: str | None = None, keep: Callable[[Any], bool] | None = None):
        self.partition, self.index, self.keep = partition, index, keep


def merged_page(model: type[Item], sources: list[Source], *, limit: int = 50, cursor: str | None = None,
                newest_first: bool = False) -> tuple[list, dict | None]:
    """Items of several partitions whose sort keys share one order (live and deleted items of a
    listing), merged in that order: one query per source still open, and a cursor holding each
    source's position, so no item is skipped or repeated."""
    positions = _positions(cursor, sources)
    reads: list[tuple[list, dict | None]] = []
    for source, position in zip(sources, positions, strict=True):
        if position == DONE:
            reads.append(([], None))
            continue
        target = getattr(model, source.index.lower()) if source.index else model
        budget = limit if source.keep is None else MAX_ITEMS_READ
        results = target.query(source.partition, scan_index_forward=not newest_first, limit=budget,
                               page_size=budget, last_evaluated_key=_raw(json.loads(position) if position else None))
        reads.append((list(results), _flat(results.last_evaluated_key)))
    candidates = [(_sort_key(item, src.index), n, i) for n, (src, (items, _)) in enumerate(zip(sources, reads,
                  strict=True)) for i, item in enumerate(items) if src.keep is None or src.keep(item)]
    candidates.sort(key=lambda c: c[0], reverse=newest_first)
    taken = candidates[:limit]
    out = [reads[n][0][i] for _, n, i in taken]
    untaken = {n: i for _, n, i in reversed(candidates[limit:])}  # the first one left per source
    new_positions = []
    for n, (source, (items, lek)) in enumerate(zip(sources, reads, strict=True)):
        if positions[n] == DONE:
            new_positions.append(DONE)
        elif n in untaken:  # resume just before the first item this page left out
            i = untaken[n]
            new_positions.append(json.dumps(_key_of(items[i - 1], source.index)) if i else positions[n])
        elif lek is not None:
            new_positions.append(json.dumps(lek))
        else:
            new_positions.append(DONE)
    if all(p == DONE for p in new_positions):
        return out, None
    return out, {"merged": sources[0].partition, **{f"s{n}": p for n, p in enumerate(new_positions)}}


def _positions(cursor: str | None, sources: list[Source]) -> list[str]:
    start = decode_cursor(cursor)
    if start is None:
        return [""] * len(sources)
    if start.get("merged") != sources[0].partition or any(f"s{n}" not in start for n in range(len(sources))):
        raise ValidationFailed("cursor belongs to another listing", field="/query/cursor")
    positions = [str(start[f"s{n}"]) for n in range(len(sources))]
    for p in positions:
        if p not in ("", DONE):
            try:
                key = json.loads(p)
            except ValueError:
                key = None
            if not isinstance(key, dict) or not all(isinstance(v, str) for v in key.values()):
                raise ValidationFailed("cursor is not one this API returned", field="/query/cursor")
    return positions


def _sort_key(item: Item, index: str | None) -> str:
    return getattr(item, f"{index}SK" if index else "SK") or ""


MAX_CALLS = 16  # queries one page may spend walking several partitions (beside MAX_ITEMS_READ with a filter)
_CHUNK = 100  # items a filtered walk asks for per query


def walk(model: type[Item], partitions: Iterable[str], *, limit: int, after: dict | None = None,
         newest_first: bool = False, keep: Callable[[Any], bool] | None = None,
         max_calls: int = MAX_CALLS) -> tuple[list, dict | None]:
    """Items of several table partitions read one after another (day shards, say), at most `limit`,
    and the cursor to go on with: `{"PK": p}` starts partition p from its beginning, `{"PK": p,
    "SK": k}` resumes after key k.

    `partitions` are in reading order and start with the one `after` names. A page spends at most
    `max_calls` queries (an empty partition costs one) and, with `keep`, MAX_ITEMS_READ items: when
    the budget runs out first, the page is short and its cursor names where reading stopped, so no
    item is skipped or repeated. None means every partition was read to its end."""
    conn = model._get_connection()
    pending = iter(partitions)
    pk = next(pending, None)
    resume = (after or {}).get("SK")
    items: list = []
    calls = read = 0
    while pk is not None:
        if calls == max_calls or read >= MAX_ITEMS_READ:
            return items, {"PK": pk, **({"SK": resume} if resume else {})}
        want = limit - len(items) if keep is None else min(_CHUNK, MAX_ITEMS_READ - read)
        answer = conn.query(pk, scan_index_forward=not newest_first, limit=want,
                            exclusive_start_key={"PK": {"S": pk}, "SK": {"S": resume}} if resume else None)
        calls += 1
        rows = answer.get("Items", [])
        read += len(rows)
        more = answer.get("LastEvaluatedKey")
        for i, raw in enumerate(rows):
            item = model.from_raw_data(raw)
            if keep is not None and not keep(item):
                continue
            items.append(item)
            if len(items) == limit:
                if i < len(rows) - 1 or more:
                    return items, {"PK": pk, "SK": item.SK}
                following = next(pending, None)  # this partition is done: the cursor names the next one
                return items, {"PK": following} if following is not None else None
        resume = more["SK"]["S"] if more else None
        if not more:
            pk = next(pending, None)
    return items, None


def chunked_page(model: type[Item], partition: str, *, index: str | None = None, limit: int,
                 cursor: str | None = None, sk_between: tuple[str, str] | None = None, newest_first: bool = False,
                 load: Callable[[list], list] | None = None, keep: Callable[[Any], bool]) -> tuple[list, dict | None]:
    """A filtered page read in chunks: what one partition names (`load(rows)` gives the items its rows
    point at, in order, one BatchGetItem; without `load` the rows are the items), kept by `keep`.

    The first chunk asks for the page's `limit` (an index entry per item: a page of an exact index
    reads `limit` rows and `limit` items), later ones for up to _CHUNK rows, within MAX_CALLS queries
    and MAX_ITEMS_READ rows. When the page fills, the cursor is the row that gave its last item; when
    the budget runs out, a short page's cursor is the last row read: nothing skipped or repeated."""
    start = decode_cursor(cursor)
    pk_name = f"{index}PK" if index else "PK"
    if start is not None and start.get(pk_name) != partition:
        raise ValidationFailed("cursor belongs to another listing", field="/query/cursor")
    target = getattr(model, index.lower()) if index else model
    condition = _range(getattr(model, f"{index}SK" if index else "SK"), None, sk_between)
    items: list = []
    last, calls, read = _raw(start), 0, 0
    while calls < MAX_CALLS and read < MAX_ITEMS_READ:
        want = limit - len(items) if calls == 0 else min(_CHUNK, MAX_ITEMS_READ - read)
        results = target.query(partition, condition, scan_index_forward=not newest_first, limit=want,
                               page_size=want, last_evaluated_key=last)
        rows = list(results)
        calls, read, last = calls + 1, read + len(rows), results.last_evaluated_key
        loaded = load(rows) if load is not None else rows
        for row, item in zip(rows, loaded, strict=True):
            if item is not None and keep(item):
                items.append(item)
                if len(items) == limit:
                    return items, _key_of(row, index)
        if not last:
            return items, None
    return items, _flat(last)
