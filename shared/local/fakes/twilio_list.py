"""The Messages list endpoint of the Twilio fake: filters and Twilio's paging envelope."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .wire import FakeRequest, first

if TYPE_CHECKING:
    from .state import FakeState

_FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")
_DEFAULT_PAGE_SIZE = 50
_MAX_PAGE_SIZE = 1000


def list_messages(state: FakeState, request: FakeRequest) -> dict[str, Any]:
    """One page of messages matching the query, newest first, in Twilio's envelope."""
    query = request.query
    filters = {name: first(query, name) for name in _FILTERS if first(query, name)}
    size = min(max(int(first(query, "PageSize", str(_DEFAULT_PAGE_SIZE))), 1), _MAX_PAGE_SIZE)
    page = max(int(first(query, "Page", "0")), 0)
    with state.lock:
        entries = list(state.messages.values())
        matching = [dict(e["resource"]) for e in _newest_first(entries) if _matches(e, filters)]
    start = page * size
    records = matching[start : start + size]

    def uri(number: int) -> str:
        params = {**filters, "PageSize": size, "Page": number}
        if number:
            params["PageToken"] = "PA" + (records[0]["sid"] if records else "")
        return f"{request.path}?{urlencode(params)}"

    has_next = start + size < len(matching)
    return {
        "messages": records,
        "end": start + max(len(records) - 1, 0),
        "first_page_uri": uri(0),
        "next_page_uri": uri(page + 1) if has_next else None,
        "previous_page_uri": uri(page - 1) if page else None,
        "page": page,
        "page_size": size,
        "start": start,
        "uri": uri(page),
    }


def _newest_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # sorted() is stable, so messages created in the same instant keep their reverse insertion order
    return sorted(reversed(entries), key=lambda e: e["created"], reverse=True)


def _matches(entry: dict[str, Any], filters: dict[str, str]) -> bool:
    resource = entry["resource"]
    if "To" in filters and resource["to"] != filters["To"]:
        return False
    if "From" in filters and resource["from"] != filters["From"]:
        return False
    return all(
        _date_ok(entry["sent"], op, filters[op])
        for op in ("DateSent", "DateSent<", "DateSent>")
        if op in filters
    )


def _date_ok(sent: datetime | None, op: str, value: str) -> bool:
    """Twilio's DateSent filters: exact day, on-or-before (<), on-or-after (>); unsent never matches."""
    if sent is None:
        return False
    low, high = _bounds(value)
    if op == "DateSent<":
        return sent <= high
    if op == "DateSent>":
        return sent >= low
    return low <= sent <= high


def _bounds(value: str) -> tuple[datetime, datetime]:
    """A bare date covers its whole UTC day; a timestamp (YYYY-MM-DDTHH:MM:SSZ) is exact."""
    if "T" in value:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return moment, moment
    day = datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time.min, tzinfo=UTC)
    return day, day + timedelta(days=1) - timedelta(microseconds=1)
