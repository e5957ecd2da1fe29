"""The webhooks' counter (getWebhookStats), kept by the stream consumer: one per tenant, sharded (every
status callback of every message adds to it), counting both received and outbound events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.db import projections
from shared.db.table import tenant_key
from shared.webhooks.store import webhooks_partition

if TYPE_CHECKING:
    from collections.abc import Iterator

SHARDS = 16
EVENT_TYPES = 50  # event types counted by name; the rest as other


def stats_key(client_id: str) -> str:
    return tenant_key(client_id, "COUNTER", "webhook-stats")


@projections.counter("WEBHOOK", "webhook-stats", shards=SHARDS)
@projections.counter("WEBHOOK_OUTBOUND", "webhook-outbound-stats", shards=SHARDS)
def webhook_stats(webhook: dict) -> projections.Contribution:
    """One per webhook: its status, provider and event type."""
    return projections.tally(webhook, stats_key(webhook["client_id"]), {"status": "status", "provider": "provider"},
                             open_categories={"event_type": ("event", EVENT_TYPES)})


@projections.counted_items("WEBHOOK", "WEBHOOK_OUTBOUND")
def tenant_webhooks(client_id: str | None) -> Iterator[dict]:
    """Every webhook of the tenant, received and outbound (GSI1)."""
    if client_id is not None:
        yield from projections.query_images(webhooks_partition(client_id), index="GSI1")
