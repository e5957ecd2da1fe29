"""Webhook endpoint operations: the URLs a tenant has its events delivered to (entities.md §12, beyond
the seed), with the rights of the rights table (webhooks: admin R W A, manager R).

Rules:
- The URL must pass the SSRF guard (shared.webhooks.targets) when saved (400 naming /body/url); it
  is checked again at every delivery.
- The signing secret (Standard Webhooks: `whsec_` and 32 random bytes, base64) is made by the server,
  answered once by createWebhookEndpoint, and again only as a new one by updateWebhookEndpoint with
  `rotate_secret: true` (the old one stops signing at once). It is stored KMS envelope-encrypted,
  bound to its tenant and endpoint, and never answered, exported or logged otherwise.
- `enabled: false` stops deliveries; a 410 Gone from the URL does the same by itself
  (`disabled_reason` says which); `enabled: true` resumes them.
- A tenant has at most endpoint_store.MAX_PER_TENANT endpoints (409 beyond).
"""

from __future__ import annotations

import base64
import secrets
from typing import TYPE_CHECKING

from shared import clock
from shared.core.paging import page
from shared.errors import Conflict, ValidationFailed
from shared.ids import new_id
from shared.webhooks import endpoint_store as store

if TYPE_CHECKING:
    from shared.core.actor import Scope

SECRET_BYTES = 32
DISABLED_BY_CALLER = "disabled by a caller"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _context(endpoint: store.WebhookEndpoint) -> dict[str, str]:
    return {"purpose": "webhook-signing", "client_id": endpoint.client_id, "endpoint_id": endpoint.id}


def seal(endpoint: store.WebhookEndpoint, secret: str) -> str:
    from shared.security import envelope

    return envelope.encrypt(secret, _context(endpoint))


def signing_secret(endpoint: store.WebhookEndpoint) -> str:
    """The endpoint's secret in the clear, for signing a delivery."""
    from shared.security import envelope

    return envelope.decrypt(endpoint.signing_secret, _context(endpoint))


def checked_url(url: str) -> str:
    """The URL if a webhook may be sent there now; 400 naming /body/url otherwise."""
    from shared.webhooks.targets import TargetRefused, resolve

    try:
        resolve(url)
    except TargetRefused as refused:
        raise ValidationFailed(f"the URL cannot receive webhooks: {refused}", field="/body/url") from None
    return url


def list_endpoints(scope: Scope, q) -> dict:
    """getWebhookEndpoints: newest first."""
    tenant = scope.tenant_required()
    items, last = store.page(tenant, include_deleted=store.endpoints.deleted_allowed(scope, q.include_deleted),
                             limit=q.limit, cursor=q.cursor)
    return page(items, last, lambda e: e.public())


def create_endpoint(scope: Scope, body) -> dict:
    """createWebhookEndpoint: the answer carries the signing secret, this once."""
    tenant = scope.tenant_required()
    if len(store.all_live(tenant)) >= store.MAX_PER_TENANT:
        raise Conflict(f"a tenant has at most {store.MAX_PER_TENANT} webhook endpoints")
    endpoint = store.WebhookEndpoint(id=new_id(), client_id=tenant, url=checked_url(body.url),
                                     event_types=list(dict.fromkeys(body.event_types)), description=body.description,
                                     enabled=body.enabled, disabled_reason=None if body.enabled else DISABLED_BY_CALLER)
    secret = new_secret()
    endpoint.signing_secret = seal(endpoint, secret)
    return {**store.create(endpoint, scope.actor, "createWebhookEndpoint").public(), "secret": secret}


def update_endpoint(scope: Scope, endpoint_id: str, body, expected_version: int | None = None) -> dict:
    """updateWebhookEndpoint: URL, event types, description, enabled; `rotate_secret` answers a new secret."""
    tenant = scope.tenant_required()
    changes = body.model_dump(exclude_unset=True)
    rotate = changes.pop("rotate_secret", False)
    for name in ("url", "event_types", "enabled"):
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be removed", field=f"/body/{name}")
    if "url" in changes:
        checked_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = list(dict.fromkeys(changes["event_types"]))
    if "enabled" in changes:
        changes["disabled_reason"] = None if changes["enabled"] else DISABLED_BY_CALLER
    secret = new_secret() if rotate else None

    def with_secret(endpoint: store.WebhookEndpoint) -> dict:
        if secret is None:
            return changes
        return {**changes, "signing_secret": seal(endpoint, secret), "secret_rotated_at": clock.now_ms()}

    updated = store.update(tenant, endpoint_id, with_secret, actor=scope.actor, operation="updateWebhookEndpoint",
                           expected_version=expected_version)
    return {**updated.public(), "secret": secret}


def delete_endpoint(scope: Scope, endpoint_id: str, expected_version: int | None = None) -> None:
    """deleteWebhookEndpoint: soft delete; its queued deliveries fail instead of going out."""
    store.soft_delete(scope.tenant_required(), endpoint_id, actor=scope.actor, operation="deleteWebhookEndpoint",
                      expected_version=expected_version)


def disable_gone(client_id: str, endpoint_id: str, reason: str) -> None:
    """The URL answered 410 Gone: no more deliveries until a caller enables it again (not a caller's
    change, so no audit actor)."""
    store.update(client_id, endpoint_id, {"enabled": False, "disabled_reason": reason}, actor=None,
                 operation="disableWebhookEndpoint")
