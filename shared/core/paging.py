"""The one list answer: `{"items": [...], "next_cursor": "..." | null}`. The query side and the
answer's model are `shared.core.page_query` (kept apart: only list handlers build those models)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.core.cursor import encode_cursor

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def page(items: Iterable[Any], last_key: dict | None, render: Callable[[Any], Any] = lambda x: x) -> dict:
    return {"items": [render(i) for i in items], "next_cursor": encode_cursor(last_key)}
