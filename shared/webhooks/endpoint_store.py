"""The webhook endpoints store: the URLs a tenant has us deliver its events to.

| access pattern | index | key condition |
|---|---|---|
| endpoint by id | table | PK = `T#c#WEBHOOK_ENDPOINT#<id>`, SK = `WEBHOOK_ENDPOINT` |
| endpoints of a tenant, newest first (getWebhookEndpoints; triggerWebhook picks the subscribers) | GSI1 | GSI1PK = `T#c#WEBHOOK_ENDPOINTS` (`#DELETED` once deleted), GSI1SK = `<created_at>#<id>` |

A tenant has at most MAX_PER_TENANT endpoints, so triggerWebhook reads them all in one query.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from shared.db import query
from shared.db.table import tenant_key
from shared.entity import Entity, EntityStore

MAX_PER_TENANT = 20


def endpoint_key(client_id: str, endpoint_id: str) -> str:
    return tenant_key(client_id, "WEBHOOK_ENDPOINT", endpoint_id)


def endpoints_partition(client_id: str) -> str:
    return tenant_key(client_id, "WEBHOOK_ENDPOINTS")


class WebhookEndpoint(Entity, discriminator="WEBHOOK_ENDPOINT"):
    what, resource = "webhook_endpoint", "webhooks"
    secret_fields = frozenset({"signing_secret"})  # KMS envelope-encrypted; shown once, in the answer that made it

    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    url = UnicodeAttribute()
    event_types = ListAttribute(of=UnicodeAttribute)
    description = UnicodeAttribute(null=True)
    enabled = BooleanAttribute()
    disabled_reason = UnicodeAttribute(null=True)  # why it was disabled: by a caller, or a 410 from the URL
    signing_secret = UnicodeAttribute()
    secret_rotated_at = NumberAttribute(null=True)

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        return endpoint_key(tenant or "", item_id), "WEBHOOK_ENDPOINT"

    def keys(self):
        return {"PK": endpoint_key(self.client_id, self.id), "SK": "WEBHOOK_ENDPOINT",
                "GSI1PK": self.listing(endpoints_partition(self.client_id)),
                "GSI1SK": f"{int(self.created_at):015d}#{self.id}"}

    def subscribes_to(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


endpoints = EntityStore(WebhookEndpoint)
create, update, soft_delete = endpoints.create, endpoints.update, endpoints.soft_delete


def get(client_id: str, endpoint_id: str, include_deleted: bool = False) -> WebhookEndpoint:
    return endpoints.get(client_id, endpoint_id, include_deleted=include_deleted)


def page(client_id: str, *, include_deleted: bool, limit: int, cursor: str | None):
    """A tenant's endpoints, newest first."""
    return endpoints.page(endpoints_partition(client_id), index="GSI1", include_deleted=include_deleted, limit=limit,
                          cursor=cursor)


def all_live(client_id: str) -> list[WebhookEndpoint]:
    """Every live endpoint of the tenant (at most MAX_PER_TENANT: one query)."""
    found, _ = query.page(WebhookEndpoint, endpoints_partition(client_id), index="GSI1", limit=MAX_PER_TENANT + 1,
                          cursor=None, newest_first=True)
    return found
