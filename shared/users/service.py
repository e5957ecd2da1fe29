"""User operations: rights per entities.md, tenancy first (another tenant's user is a 404)."""

from __future__ import annotations

from shared.api.request import Actor
from shared.errors import NotFound
from shared.users import store


def tenant_of(actor: Actor, client_id: str | None) -> str | None:
    """The tenant a request acts in: the caller's own, or for super_admin the one it names
    (None = platform scope). Naming another tenant is not an error for others; it finds nothing."""
    if actor.is_super_admin:
        return client_id
    if client_id and client_id != actor.tenant:
        raise NotFound("user not found")
    return actor.tenant


def get_user(actor: Actor, user_id: str, client_id: str | None = None) -> dict:
    """getUserById: staff read users of their tenant; a `user` reads only itself."""
    tenant = tenant_of(actor, client_id)
    if actor.role == "user" and user_id != actor.user_id:
        raise NotFound("user not found")
    user = store.get(tenant, user_id)
    return user.public()
