"""The one shape of a bulk answer: every item on its own, with its own status (never silently
all-or-nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from shared.errors import AppError


class BulkResult(BaseModel):
    id: str
    status: int
    version: int | None = None
    error: dict | None = None


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
