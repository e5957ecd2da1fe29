"""What clients add to the platform counters (getClientStats) and the search index (searchClients)."""

from __future__ import annotations

from shared import search
from shared.db import projections
from shared.db.table import platform_key

STATS_KEY = platform_key("COUNTER", "CLIENTSTATS")


def token_partition(token: str) -> str:
    return platform_key("SEARCH", "CLIENT", token)


@projections.counter("CLIENT", "client-stats")
def client_stats(client: dict) -> projections.Contribution:
    if client.get("deleted_at"):
        return {}
    return {STATS_KEY: {"total": 1, f"status_{client['status']}": 1, f"tier_{client['subscription_tier']}": 1}}


@projections.search_index("CLIENT", "client-search")
def client_search(client: dict) -> set[str]:
    """Prefixes of the name and the email's words (case- and accent-insensitive)."""
    if client.get("deleted_at"):
        return set()
    local, _, domain = str(client.get("email") or "").partition("@")
    return {token_partition(t) for t in search.prefixes(client.get("name"), local, domain)}
