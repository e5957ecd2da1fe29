"""Export sources: what each domain adds to a tenant's data export, declared where the entity lives.

A domain lists its sources as `SOURCES` in `shared/<domain>/export_sources.py`; `sources()` finds
them all (`shared.db.discovery`), so the export worker names no domain and imports no other store.
A source says which item type it contributes (the line's `type`), which tenant partitions hold those
items (read by key in pages, on the table or one GSI, never a Scan) and how an item is rendered: as
the API shows it unless it says otherwise, so secrets and bookkeeping stay out (`Item.public`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from shared.db.table import Item

PAGE_SIZE = 200


def _as_the_api_shows_it(item: Item) -> dict:
    return item.public()


@dataclass(frozen=True)
class ExportSource:
    """One kind of line in a tenant's export.

    `partition(client_id)` is the partition key (or several, read in turn) on the table or on `index`;
    `position` places the lines in the file: the tenant's own record first (0), the audit log last (100);
    `columns`, when given, lets an export of this kind alone be written as CSV (those fields, in order)."""

    kind: str
    model: type[Item]
    partition: Callable[[str], str | Sequence[str]]
    index: str | None = None
    render: Callable[[Any], dict] = _as_the_api_shows_it
    position: int = 50
    columns: tuple[str, ...] = ()

    def partitions(self, client_id: str) -> list[str]:
        keys = self.partition(client_id)
        return [keys] if isinstance(keys, str) else list(keys)

    def read(self, client_id: str, start: int = 0, after: dict | None = None) -> Iterator[tuple[int, dict, Item]]:
        """(partition number, key of the item, item) in key order, from partition `start` after key `after`."""
        target = getattr(self.model, self.index.lower()) if self.index else self.model
        for number, pk in enumerate(self.partitions(client_id)):
            if number < start:
                continue
            resume = {k: {"S": v} for k, v in after.items()} if after and number == start else None
            for item in target.query(pk, last_evaluated_key=resume, page_size=PAGE_SIZE):
                yield number, self.key_of(item), item

    def key_of(self, item: Item) -> dict:
        key = {"PK": item.PK, "SK": item.SK}
        if self.index:
            key[f"{self.index}PK"], key[f"{self.index}SK"] = getattr(item, f"{self.index}PK"), getattr(item, f"{self.index}SK")
        return key


_found: list[ExportSource] | None = None


def sources() -> list[ExportSource]:
    """Every domain's export sources, in file order (position, then kind); the same order on every call
    and in every invocation, which a resumed export relies on."""
    global _found
    if _found is None:
        from shared.db.discovery import declared_sources

        _found = sorted(declared_sources("export_sources", "export source"), key=lambda s: (s.position, s.kind))
    return _found
