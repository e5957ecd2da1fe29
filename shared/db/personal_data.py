"""Personal data sources: what each domain holds about one member, for the privacy requests
(exportMember, art. 15/20; eraseMember, art. 17 / CCPA deletion), declared where the data lives.

A domain lists its sources as `SOURCES` in `shared/<domain>/member_data.py`; `sources()` finds them all
(`shared.db.discovery`), so the privacy service names no domain: the member's activity, its audit
entries, its benefits, the addresses on its communications each say how they are read for one
member (by key or index, never a Scan) and what erasing the member does to them. Erasing is
idempotent: a source erased twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


@dataclass(frozen=True)
class PersonalData:
    """One kind of data held about a member.

    `export(client_id, member_id)` yields the lines exportMember shows (as the API would show them);
    `erase(client_id, member_id)` removes the personal part and returns how many items it changed."""

    kind: str
    export: Callable[[str, str], Iterable[dict]]
    erase: Callable[[str, str], int]


_found: list[PersonalData] | None = None


def sources() -> list[PersonalData]:
    """Every domain's personal data sources, by kind (the same order on every call)."""
    global _found
    if _found is None:
        from shared.db.discovery import declared_sources

        _found = sorted(declared_sources("member_data", "personal data"), key=lambda s: s.kind)
    return _found
