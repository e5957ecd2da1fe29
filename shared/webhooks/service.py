"""The §12 webhook operations: a tenant's received provider events and outbound deliveries (entities.md:
admin R W A, manager R). Lists are newest first, one query a page; the stats are one counter read.

An operator's change (logWebhookEvent, updateWebhookStatus, bulkUpdateWebhooks) is audited; what the
providers and the pipeline write is not (shared.webhooks.store). retryFailedWebhooks applies failed
received events again (shared.messaging.callbacks.reapply): each has its own result.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.core.paging import page
from shared.errors import Conflict
from shared.ids import new_id
from shared.webhooks import store

if TYPE_CHECKING:
    from shared.core.actor import Scope


APPLIED_PROVIDERS = ("twilio", "sendgrid")  # whose events we apply (an nmi one logged is only recorded)


def _view(item: store.Webhook) -> dict:
    return item.public()


def _provider(q: Any):
    return (lambda w: w.provider == q.provider) if q.provider else None


def list_webhooks(scope: Scope, q: Any) -> dict:
    """getWebhooks: all, or received ones of one status (its index), of one provider (filtered in the budget)."""
    items, last = store.page(scope.tenant_required(), status=q.status, limit=q.limit, cursor=q.cursor, keep=_provider(q))
    return page(items, last, _view)


def by_event(scope: Scope, q: Any) -> dict:
    """getWebhooksByEvent: one event type's webhooks (its index), of one provider."""
    items, last = store.page(scope.tenant_required(), event_type=q.event_type, limit=q.limit, cursor=q.cursor,
                             keep=_provider(q))
    return page(items, last, _view)


def failed(scope: Scope, q: Any) -> dict:
    """getFailedWebhooks: received events that failed to apply, newest first."""
    items, last = store.page(scope.tenant_required(), status=store.FAILED, limit=q.limit, cursor=q.cursor, keep=_provider(q))
    return page(items, last, _view)


def log_event(scope: Scope, body: Any) -> dict:
    """logWebhookEvent: record an event received elsewhere (never applied); its event id once (409)."""
    from shared.db import claims
    from shared.db.tx import Tx

    tenant, now = scope.tenant_required(), clock.now_ms()
    item = store.Webhook(id=new_id(), client_id=tenant, provider=body.provider, event_type=body.event_type,
                         event_id=body.event_id, payload=json.dumps(body.payload, sort_keys=True), status=body.status,
                         attempts=0, error_message=body.error_message, communication_id=body.communication_id,
                         processed_at=now if body.status == store.PROCESSED else None)
    tx = Tx()
    store.webhooks.add_create(tx, item, scope.actor, "logWebhookEvent")
    claims.claim(tx, store.event_claim_key(tenant, body.provider, body.event_id), item, field="/body/event_id",
                 client_id=tenant)
    tx.commit()
    return item.public()


def update_status(scope: Scope, webhook_id: str, body: Any, expected_version: int | None = None) -> dict:
    """updateWebhookStatus: an operator settles a webhook (processed, failed with why, or received again)."""
    def changes(item: store.Webhook) -> dict:
        out: dict[str, Any] = {"status": body.status}
        if body.status == store.PROCESSED:
            out.update(processed_at=item.processed_at or clock.now_ms(), error_message=None)
        elif body.error_message is not None:
            out["error_message"] = body.error_message
        return out

    return store.webhooks.update(scope.tenant_required(), webhook_id, changes, actor=scope.actor,
                                 operation="updateWebhookStatus", expected_version=expected_version).public()


def bulk_update(scope: Scope, body: Any, expected_version: int | None = None) -> dict:
    """bulkUpdateWebhooks: each status change on its own, with its own result and version."""
    from shared.core import bulk

    return bulk.each(body.updates, lambda e: update_status(scope, e.id, e.changes, bulk.version_of(e, expected_version)))


def stats(scope: Scope) -> dict:
    """getWebhookStats: totals by status, provider and event type: one read of the sharded counter."""
    from shared.db.projections import read_counter, top_values
    from shared.webhooks.projections import EVENT_TYPES, SHARDS, stats_key

    tenant = scope.tenant_required()
    c = read_counter(stats_key(tenant), shards=SHARDS)

    def by(prefix: str, values: tuple[str, ...]) -> dict[str, int]:
        return {v: c.get(f"{prefix}_{v}", 0) for v in values}

    return {"client_id": tenant, "total": c.get("total", 0), "by_status": by("status", store.STATUSES),
            "by_provider": by("provider", store.PROVIDERS),
            "by_event_type": [{"event_type": v, "count": n} for v, n in top_values(c, "event", EVENT_TYPES)]}


def retry_failed(scope: Scope, body: Any) -> dict:
    """retryFailedWebhooks: the newest failed received events (a cap, a provider) applied again; each
    result 200 once processed, else 409 with why it failed again."""
    from shared.core import bulk
    from shared.messaging.provider_events import reapply

    wanted = (body.provider,) if body.provider else APPLIED_PROVIDERS
    items, _ = store.page(scope.tenant_required(), status=store.FAILED, limit=body.limit, cursor=None,
                          keep=lambda w: w.provider in wanted)

    def retry(item: store.Webhook) -> dict:
        if reapply(item) != store.PROCESSED:
            again = store.get(item.client_id, item.id)
            raise Conflict(f"it failed again: {again.error_message}", field="/body")
        return store.get(item.client_id, item.id).public()

    return bulk.each(items, retry)
