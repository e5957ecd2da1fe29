"""The one shape of a bulk answer: every item on its own, with its own status (never silently
all-or-nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from shared.errors import AppError
from shared.ids import ULID_PATTERN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


class BulkResult(BaseModel):
    id: str
    status: int
    version: int | None = None
    error: dict | None = None


MAX_ITEMS = 100


def bulk_of(patch: type[BaseModel], noun: str) -> type[BaseModel]:
    """The body of a bulk update of `patch`es: `{"updates": [{"id", "version"?, "changes"}]}`, 1..100."""
    title = noun.capitalize()
    strict = ConfigDict(extra="forbid")
    change = create_model(f"Bulk{title}Change", __config__=strict, __module__=patch.__module__,
                          id=(str, Field(pattern=ULID_PATTERN, description="the id of the item to change")),
                          version=(int | None, Field(None, ge=1, description=f"as If-Match: refused (412) if the "
                                                                             f"{noun} moved on")),
                          changes=(patch, ...))
    return create_model(f"Bulk{title}Update", __config__=strict, __module__=patch.__module__,
                        updates=(list[change], Field(min_length=1, max_length=MAX_ITEMS)))  # type: ignore[valid-type]


class BulkResults(BaseModel):
    results: list[BulkResult]
    succeeded: int
    failed: int


def version_of(entry: Any, expected_version: int | None) -> int | None:
    """The version an item must still be at: its own `version`, else the request's If-Match."""
    own = getattr(entry, "version", None)
    return own if own is not None else expected_version


def each(entries: Iterable[Any], apply: Callable[[Any], dict]) -> dict:
    """Run `apply(entry)` for each entry (which has an `id`); an AppError becomes that item's result."""
    results = []
    for entry in entries:
        try:
            item = apply(entry)
            results.append({"id": entry.id, "status": 200, "version": item.get("version")})
        except AppError as err:
            results.append({"id": entry.id, "status": err.status, "error": err.problem()})
    ok = sum(1 for r in results if r["status"] == 200)
    return {"results": results, "succeeded": ok, "failed": len(results) - ok}
