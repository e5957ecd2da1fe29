"""What clients, transactions and communications add to the clients' counters and search index.

Kept by the table's stream consumer (`shared.db.projections`: exact, duplicate- and order-safe):
- `P#COUNTER#CLIENTSTATS`: live clients by status, tier and company size (getClientStats).
- `P#SEARCH#CLIENT#<initial>`: the words of a client's name and email (searchClients).
- `T#<id>#COUNTER#REVENUE#<yyyy-mm>` and `...#REVENUE#ALL`: completed transactions (getClientRevenue).
- `T#<id>#COUNTER#USAGE#<yyyy-mm>`: messages and cost per channel (getClientUsage), spread over
  USAGE_SHARDS shard items: a campaign to every member of a tenant updates it once per message.

Money in counter items is an exact integer of micros (`shared.core.money`); months are UTC calendar
months (`shared.core.months`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared import search
from shared.core.money import to_micros
from shared.core.months import month_of
from shared.db import projections
from shared.db.table import platform_key, tenant_key
from shared.entity import DELETED

if TYPE_CHECKING:
    from collections.abc import Iterator

STATS_KEY = platform_key("COUNTER", "CLIENTSTATS")
ALL_TIME = "ALL"
# A communication counts towards usage once the provider has taken it (bounces are billed too).
SENT_STATUSES = frozenset({"sent", "delivered", "read", "clicked", "replied", "bounced"})
REVENUE_MEASURES = ("gross", "refunds", "chargebacks", "net")
USAGE_SHARDS = 16  # a send of a million messages: at most ~1/16 of the deltas per counter item


def token_partition(initial: str) -> str:
    """The search partition of the client words starting with `initial` (one character)."""
    return platform_key("SEARCH", "CLIENT", initial)


# Words each field adds to the index: 36 at most, within search.MAX_WORDS.
SEARCH_FIELDS = (("name", 24), ("email", 12))


def search_words(client: dict) -> list[str]:
    """The words a client is found by: its name's and its email's."""
    return search.indexed_words(*((client.get(name), budget) for name, budget in SEARCH_FIELDS))


def revenue_key(client_id: str, month: str) -> str:
    """`month` is `YYYY-MM`, or ALL_TIME for the running total."""
    return tenant_key(client_id, "COUNTER", "REVENUE", month)


def usage_key(client_id: str, month: str) -> str:
    return tenant_key(client_id, "COUNTER", "USAGE", month)


@projections.counter("CLIENT", "client-stats")
def client_stats(client: dict) -> projections.Contribution:
    """One per live client: total, its status, its tier, its company size."""
    return projections.tally(client, STATS_KEY, {"status": "status", "subscription_tier": "tier", "company_size": "size"})


@projections.counted_items("CLIENT")
def clients(client_id: str | None) -> Iterator[dict]:
    """The platform's clients, live and soft-deleted (the GSI1 list partitions). A client counts towards
    platform counters only, so a tenant's own recount reads none."""
    if client_id is None:
        yield from projections.query_images(platform_key("CLIENTS"), index="GSI1")
        yield from projections.query_images(platform_key("CLIENTS", DELETED), index="GSI1")


@projections.search_index("CLIENT", "client-search")
def client_search(client: dict) -> set[tuple[str, str]]:
    """A token for each indexed word of a live client (case- and accent-insensitive)."""
    if client.get("deleted_at"):
        return set()
    return search.tokens(token_partition, search_words(client), client["id"])


def _revenue_fields(kind: str, micros: int) -> dict[str, int]:
    if kind == "charge":
        return {"gross": micros, "net": micros, "charges": 1}
    if kind == "refund":
        return {"refunds": micros, "net": -micros, "refund_count": 1}
    if kind == "chargeback":
        return {"chargebacks": micros, "net": -micros}
    return {}


@projections.counter("TRANSACTION", "client-revenue")
def client_revenue(txn: dict) -> projections.Contribution:
    """A completed charge adds to gross and net; a completed refund or chargeback to its own sum and
    off net. Anything not completed adds nothing, so a status change moves the sums (a charge that
    becomes `completed` counts; a completed one that is cancelled stops counting)."""
    client_id, when = txn.get("client_id"), txn.get("processed_at") or txn.get("created_at")
    if txn.get("status") != "completed" or not client_id or when is None or txn.get("deleted_at"):
        return {}
    fields = _revenue_fields(str(txn.get("type")), abs(to_micros(txn.get("amount") or 0)))
    currency = str(txn.get("currency") or "USD").upper()
    fields = {f"{currency}:{name}": n for name, n in fields.items()}
    if not fields:
        return {}
    return {revenue_key(client_id, month_of(when)): fields, revenue_key(client_id, ALL_TIME): dict(fields)}


@projections.counter("COMM", "client-usage", shards=USAGE_SHARDS)  # a communication (shared.communications.store)
def client_usage(message: dict) -> projections.Contribution:
    """One message and its cost on its channel, in the month it was sent, once the provider took it."""
    client_id, when = message.get("client_id"), message.get("sent_at") or message.get("created_at")
    if message.get("status") not in SENT_STATUSES or not client_id or when is None:
        return {}
    channel = str(message.get("channel") or "other")
    fields = {f"{channel}:messages": 1}
    cost = abs(to_micros(message.get("cost") or 0))
    if cost:
        fields[f"{channel}:cost_micros"] = cost
    return {usage_key(client_id, month_of(when)): fields}
