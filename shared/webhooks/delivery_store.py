"""The outbound webhooks store: one §12 webhook item (provider `outbound`) per event and endpoint.

An outbound item is a §12 webhook (shared/webhooks/store.py: `T#c#WEBHOOK#<id>` / `WEBHOOK`, the
received provider events) with an `entity` of its own, `WEBHOOK_OUTBOUND`, and its attempts: a tenant's
webhook lists show both kinds; only the received ones are in the status index (GSI3).

| access pattern | index | key condition |
|---|---|---|
| webhook by id (the delivery worker) | table | PK = `T#c#WEBHOOK#<id>`, SK = `WEBHOOK` |
| a tenant's webhooks, newest first | GSI1 | GSI1PK = `T#c#WEBHOOKS`, GSI1SK = `<created_at>#<id>` |
| a tenant's webhooks of an event type, newest first | GSI2 | GSI2PK = `T#c#WEBHOOKS#EVENT#<event_type>`, GSI2SK as GSI1SK |
| an outbound event id already triggered (no second delivery) | table | claim PK = `T#c#WEBHOOK_EVENT#outbound#<event_id>` |

Each attempt moves `attempts` from n-1 to n by a conditional write holding a lease (`leased_until`)
before the request goes out, so a duplicated queue message finds the attempt taken; a worker that died
holding it leaves a lease that expires, and the redelivered message takes the attempt over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from shared import clock
from shared.db import claims
from shared.db.tx import Tx
from shared.db.writes import applied
from shared.entity import EntityStore
from shared.webhooks import store
from shared.webhooks.store import Webhook, webhook_key

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

PROVIDER = "outbound"


def event_claim_key(client_id: str, event_id: str) -> str:
    return store.event_claim_key(client_id, PROVIDER, event_id)


class Attempt(MapAttribute):
    """One delivery attempt as it went."""

    number = NumberAttribute()
    at = NumberAttribute()  # epoch ms the request went out
    duration_ms = NumberAttribute()
    status_code = NumberAttribute(null=True)  # None: no answer (refused target, timeout, connection error)
    outcome = UnicodeAttribute()  # delivered | retry | failed
    error = UnicodeAttribute(null=True)
    next_attempt_at = NumberAttribute(null=True)


class OutboundWebhook(Webhook, discriminator="WEBHOOK_OUTBOUND"):
    """An event sent to one endpoint: `event_id` is the `webhook-id` header (the same on every attempt),
    `payload` the JSON text exactly as signed and sent, `status` received → processed | failed."""

    hidden = frozenset({"leased_until"})

    endpoint_id = UnicodeAttribute()
    attempt_history = ListAttribute(of=Attempt, default=list)
    leased_until = NumberAttribute(null=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("provider", PROVIDER)
        super().__init__(*args, **kwargs)

    def keys(self):
        created = f"{int(self.created_at):015d}#{self.id}"
        return {"PK": webhook_key(self.client_id, self.id), "SK": "WEBHOOK",
                "GSI1PK": store.webhooks_partition(self.client_id), "GSI1SK": created,
                "GSI2PK": store.webhooks_partition(self.client_id, "EVENT", self.event_type), "GSI2SK": created}


webhooks = EntityStore(OutboundWebhook)


def get(client_id: str, webhook_id: str) -> OutboundWebhook:
    return webhooks.get(client_id, webhook_id)


def record_event(items: list[OutboundWebhook], actor, operation: str) -> None:
    """Write an event's webhooks (one per endpoint) and the claim of its event id, all or nothing: an
    event id triggered before answers Duplicate naming /body/event_id."""
    tx = Tx()
    for item in items:
        webhooks.add_create(tx, item, actor, operation)
    claims.claim(tx, event_claim_key(items[0].client_id, items[0].event_id), items[0], field="/body/event_id",
                 client_id=items[0].client_id)
    tx.commit()


def take_attempt(item: OutboundWebhook, number: int, lease_ms: int) -> bool:
    """Move the webhook to attempt `number` under a lease, unless that attempt is taken (True: ours).
    A lease left by a worker that died on this attempt is taken over once it has expired."""
    now = clock.now_ms()
    model = OutboundWebhook
    fresh = model.attempts == number - 1
    abandoned = (model.attempts == number) & model.leased_until.exists() & (model.leased_until < now)
    return applied(lambda: item.update(
        actions=[model.attempts.set(number), model.leased_until.set(now + lease_ms), model.updated_at.set(now)],
        condition=(model.status == "received") & (fresh | abandoned)))


def record_attempt(item: OutboundWebhook, attempt: Attempt, *, status: str, error: str | None = None) -> bool:
    """Add the attempt to the webhook's history and release its lease; `status` processed or failed
    settles it, received leaves it to the next attempt. Conditional on the attempt still being ours."""
    now = clock.now_ms()
    model = OutboundWebhook
    actions: list[Action] = [model.attempt_history.set(model.attempt_history.append([attempt])), model.leased_until.remove(),
               model.status.set(status), model.updated_at.set(now), model.version.add(1)]
    if status == "processed":
        actions += [model.processed_at.set(now), model.error_message.remove()]
    elif error is not None:
        actions.append(model.error_message.set(error))
    return applied(lambda: item.update(actions=actions, condition=(model.status == "received")
                                       & (model.attempts == attempt.number)))
