"""The webhooks store (entities.md §12): the provider events we receive (Twilio, SendGrid), one item each.

An event is `T#c#WEBHOOK#<id>` / `WEBHOOK` (`entity` `WEBHOOK`); the outbound deliveries
(shared/webhooks/delivery_store.py) are a subclass of it with their own `entity`, `WEBHOOK_OUTBOUND`, in
the same partitions, so a tenant's list shows both. A received event is stored once: its dedupe claim
`T#c#WEBHOOK_EVENT#<provider>#<event_id>` (the provider's id; for a Twilio status callback, MessageSid +
MessageStatus or the I-Twilio-Idempotency-Token; for a Conversations event, MessageSid + EventType or the
token) is written in the same transaction as the event, so a
provider's retry or a replay finds it and applies nothing twice.

An event is stored `received` before it is applied, then `processed` (applied) or `failed` (with why:
retryable, by retryFailedWebhooks or the provider's own redelivery). Received events are written by the
pipeline, not by people: they go to no audit log (operators' changes to them do).

| access pattern | index | key condition |
|---|---|---|
| webhook by id | table | PK = `T#c#WEBHOOK#<id>`, SK = `WEBHOOK` |
| a tenant's webhooks, newest first (getWebhooks) | GSI1 | GSI1PK = `T#c#WEBHOOKS`, GSI1SK = `<created_at>#<id>` |
| by event type, newest first (getWebhooksByEvent) | GSI2 | GSI2PK = `T#c#WEBHOOKS#EVENT#<event_type>`, GSI2SK as GSI1SK |
| received events by status, newest first (getFailedWebhooks) | GSI3 | GSI3PK = `T#c#WEBHOOKS#STATUS#<status>`, GSI3SK as GSI1SK |
| a received event already stored | table | claim PK = `T#c#WEBHOOK_EVENT#<provider>#<event_id>` |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared import clock
from shared.db import claims, query
from shared.db.table import tenant_key
from shared.db.tx import Tx
from shared.db.writes import applied
from shared.entity import Entity, EntityStore
from shared.errors import Duplicate
from shared.ids import new_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from pynamodb.expressions.update import Action

RECEIVED, PROCESSED, FAILED = "received", "processed", "failed"
STATUSES = (RECEIVED, PROCESSED, FAILED)
PROVIDERS = ("twilio", "sendgrid", "nmi", "outbound")


def webhook_key(client_id: str, webhook_id: str) -> str:
    return tenant_key(client_id, "WEBHOOK", webhook_id)


def webhooks_partition(client_id: str, *parts: str) -> str:
    return tenant_key(client_id, "WEBHOOKS", *parts)


def event_claim_key(client_id: str, provider: str, event_id: str) -> str:
    return tenant_key(client_id, "WEBHOOK_EVENT", provider, event_id)


class Webhook(Entity, discriminator="WEBHOOK"):
    """A provider event received (§12)."""

    what, resource = "webhook", "webhooks"

    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    provider = UnicodeAttribute()
    event_type = UnicodeAttribute()
    event_id = UnicodeAttribute()
    payload = UnicodeAttribute()  # JSON text: the event as the provider sent it (a form as its fields)
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)  # times it was applied (or tried)
    processed_at = NumberAttribute(null=True)
    error_message = UnicodeAttribute(null=True)
    communication_id = UnicodeAttribute(null=True)  # the communication it is about, when it names one

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        return webhook_key(tenant or "", item_id), "WEBHOOK"

    def keys(self):
        created = f"{int(self.created_at):015d}#{self.id}"
        return {"PK": webhook_key(self.client_id, self.id), "SK": "WEBHOOK",
                "GSI1PK": webhooks_partition(self.client_id), "GSI1SK": created,
                "GSI2PK": webhooks_partition(self.client_id, "EVENT", self.event_type), "GSI2SK": created,
                "GSI3PK": webhooks_partition(self.client_id, "STATUS", self.status), "GSI3SK": created}


webhooks = EntityStore(Webhook)


def get(client_id: str, webhook_id: str) -> Webhook:
    return webhooks.get(client_id, webhook_id)


def receive(client_id: str, provider: str, event_type: str, event_id: str, payload: str,
            communication_id: str | None = None) -> tuple[Webhook, bool]:
    """Store an event once: (the new event, True), or (the one stored before under this event id, False)."""
    now = clock.now_ms()
    item = Webhook(id=new_id(), client_id=client_id, provider=provider, event_type=event_type, event_id=event_id,
                   payload=payload, status=RECEIVED, attempts=0, communication_id=communication_id, created_at=now,
                   updated_at=now, version=1)
    claim = event_claim_key(client_id, provider, event_id)
    tx = Tx()
    tx.put(item, condition=Webhook.PK.does_not_exist())
    claims.claim(tx, claim, item, field="/body/event_id", client_id=client_id)
    try:
        tx.commit()
        return item, True
    except Duplicate:
        found = claims.lookup(claim)
        if found is None:  # released meanwhile: cannot happen (claims of events are never released)
            raise
        return Webhook.get(found.owner_pk, found.owner_sk, consistent_read=True), False


def settle(item: Webhook, status: str, error: str | None = None) -> bool:
    """Record what applying the event came to (processed, or failed with why), one more attempt: only
    from the status it was read in, so two appliers never both record."""
    W, now = Webhook, clock.now_ms()
    actions: list[Action] = [W.status.set(status), W.attempts.add(1), W.updated_at.set(now), W.version.add(1),
                             W.GSI3PK.set(webhooks_partition(item.client_id, "STATUS", status))]
    if status == PROCESSED:
        actions += [W.processed_at.set(now), W.error_message.remove()]
    else:
        actions.append(W.error_message.set((error or "not applied")[:1000]))
    return applied(lambda: item.update(actions=actions, condition=W.status == item.status))


def page(client_id: str, *, event_type: str | None = None, status: str | None = None, limit: int,
         cursor: str | None, keep: Callable[[Webhook], bool] | None = None) -> tuple[list[Webhook], dict | None]:
    """A tenant's webhooks newest first: all (GSI1), of one event type (GSI2) or received ones of one
    status (GSI3)."""
    if event_type is not None:
        partition, index = webhooks_partition(client_id, "EVENT", event_type), "GSI2"
    elif status is not None:
        partition, index = webhooks_partition(client_id, "STATUS", status), "GSI3"
    else:
        partition, index = webhooks_partition(client_id), "GSI1"
    return query.page(Webhook, partition, index=index, limit=limit, cursor=cursor, newest_first=True, keep=keep)
