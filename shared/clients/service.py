"""Client operations (seed section 2), with the rights of the rights table (shared.core.rights).

A client is a tenant. The platform's directory (every client, their tiers, contracts and commercial
terms) needs `tenants:read` / `tenants:write` (super_admin); an admin reads its own client and
changes its profile (`clients:write`); managers and users read it. The decorator resolves the
tenant from the path (`/clients/{id}`), so another tenant's client answers 404, never 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared import clock, phones
from shared.clients import store
from shared.clients.models import SUPER_ADMIN_FIELDS, TIERS
from shared.core.paging import page
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.ids import new_id

if TYPE_CHECKING:
    from shared.core.actor import Scope

DAY_MS = 24 * 60 * 60 * 1000
_NOT_NULL = ("name", "status", "subscription_tier")


def require_tenant(client_id: str) -> None:
    """A tenant a super_admin names must exist (404 otherwise): called by the decorator."""
    store.get(client_id)


def default_country(client_id: str | None) -> str | None:
    """The tenant's country for phone numbers written without `+` (None: no live tenant)."""
    if not client_id:
        return None
    try:
        return store.get(client_id).default_country
    except NotFound:  # a super_admin acting in platform scope, or a tenant just closed
        return None


def status_of(client_id: str) -> str | None:
    """A tenant's status for login and the authorizer; None once it is deleted or unknown."""
    try:
        return store.get(client_id).status
    except NotFound:
        return None


def tenant_ids():
    """Every live tenant's id, a page of the platform directory at a time (for sweeps across tenants)."""
    from shared.core.cursor import encode_cursor

    cursor = None
    while True:
        items, last = store.list_clients(status=None, tier=None, include_deleted=False, limit=200, cursor=cursor)
        yield from (c.id for c in items)
        if last is None:
            return
        cursor = encode_cursor(last)


def record_key(client_id: str) -> tuple[str, str]:
    """The (PK, SK) of the client's item, for the authorizer's one BatchGetItem."""
    return store.Client.key(client_id, client_id)


def get_client(scope: Scope, client_id: str, include_deleted: bool = False) -> dict:
    """getClientById."""
    return store.get(client_id, include_deleted=store.clients.deleted_allowed(scope, include_deleted)).public()


def list_clients(scope: Scope, q, tier: str | None = None) -> dict:
    """getClients: the platform directory (newest first) for holders of tenants:read; anyone else
    gets its own client as a one-item page (filters still apply)."""
    include_deleted = store.clients.deleted_allowed(scope, q.include_deleted)
    tier = tier or q.tier
    if not scope.holds("tenants:read"):
        client = store.get(scope.tenant or "")  # everyone but a super_admin has a tenant
        wanted = q.status in (None, client.status) and tier in (None, client.subscription_tier)
        return page([client] if wanted else [], None, lambda c: c.public())
    items, last = store.list_clients(status=q.status, tier=tier, include_deleted=include_deleted,
                                     limit=q.limit, cursor=q.cursor)
    return page(items, last, lambda c: c.public())


def search_clients(scope: Scope, q) -> dict:
    """searchClients: every word of `q` a prefix of a word of the name or email, accent- and
    case-insensitive (shared.search.page: one query of tokens, one BatchGetItem of clients)."""
    from shared import search
    from shared.clients.projections import search_words, token_partition

    hits, last = search.page(token_partition, q.q, limit=q.limit, cursor=q.cursor,
                             load=lambda ids: [c for c in store.batch_get(ids) if not c.deleted_at],
                             words_of=lambda c: search_words(c.attribute_values))
    return page(hits, last, lambda c: c.public())


def _check_contract(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationFailed("contract_end is before contract_start", field="/body/contract_end")


def create_client(scope: Scope, body) -> dict:
    """createClient: name unique platform-wide, ignoring case and spacing (409 naming /body/name)."""
    data = body.model_dump(exclude_none=True)
    _check_contract(data.get("contract_start"), data.get("contract_end"))
    if data.get("email"):
        data["email"] = data["email"].lower()
    if data.get("phone"):
        data["phone"] = phones.to_e164(data["phone"], "/body/phone", country=data.get("default_country"))
    client = store.Client(id=new_id(), created_by=scope.actor.user_id, **data)
    return store.create(client, scope.actor, "createClient").public()


def _clean_changes(scope: Scope, client_id: str, body) -> dict:
    changes = body.model_dump(exclude_unset=True)
    for name in _NOT_NULL:
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be removed", field=f"/body/{name}")
    refused = [f for f in SUPER_ADMIN_FIELDS if f in changes]
    if refused and not scope.holds("tenants:write"):
        raise Forbidden(f"{refused[0]} is a commercial term: it needs tenants:write", field=f"/body/{refused[0]}")
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
    if changes.get("phone"):
        changes["phone"] = phones.to_e164(changes["phone"], "/body/phone",
                                          country=changes.get("default_country") or (lambda: default_country(client_id)))
    return changes


def update_client(scope: Scope, client_id: str, body, expected_version: int | None = None) -> dict:
    """updateClient: admins change their own client's profile; the commercial terms are super_admin's."""
    scope.reach(client_id)  # bulk items name their client in the body, not the path
    changes = _clean_changes(scope, client_id, body)

    def check(client: store.Client) -> None:
        _check_contract(changes.get("contract_start", client.contract_start),
                        changes.get("contract_end", client.contract_end))

    client = store.update(client_id, changes, actor=scope.actor, operation="updateClient",
                          expected_version=expected_version, check=check)
    return client.public()


def delete_client(scope: Scope, client_id: str, expected_version: int | None = None) -> None:
    """deleteClient: soft delete; the name is free again; its users' logins and tokens stop."""
    store.soft_delete(client_id, actor=scope.actor, operation="deleteClient", expected_version=expected_version)


def bulk_update(scope: Scope, body, expected_version: int | None = None) -> dict:
    """bulkUpdateClients: each item on its own, with its own result; an item's `version` (or else
    the request's If-Match) must still be current."""
    from shared.core import bulk

    return bulk.each(body.updates,
                     lambda e: update_client(scope, e.id, e.changes, bulk.version_of(e, expected_version)))


def upgrade_tier(scope: Scope, client_id: str, tier: str, expected_version: int | None = None) -> dict:
    """upgradeClientTier: only upwards, basic < premium < enterprise < custom (else 409)."""
    def check(client: store.Client) -> None:
        if TIERS.index(tier) <= TIERS.index(client.subscription_tier):
            raise Conflict(f"{client.subscription_tier} to {tier} is not an upgrade", field="/body/tier")

    client = store.update(client_id, {"subscription_tier": tier}, actor=scope.actor, operation="upgradeClientTier",
                          expected_version=expected_version, check=check)
    return client.public()


def expiring_contracts(scope: Scope, q) -> dict:
    """getExpiringContracts: live contracts ending from now to `days` ahead, soonest first."""
    now = clock.now_ms()
    items, last = store.contracts_ending(now, now + q.days * DAY_MS, limit=q.limit, cursor=q.cursor)
    return page(items, last, lambda c: c.public())


def client_activity(scope: Scope, client_id: str, q) -> dict:
    """getClientActivity: the tenant's audit log, newest first (a caller holding only audit:read:own
    sees its own entries). A deleted client has no activity to show (404)."""
    from shared import audit

    client = store.get(client_id)
    keep = (lambda e: e.entity_type == q.entity_type) if q.entity_type is not None else None
    if not scope.holds("audit:read"):  # its own entries: its actor partition, not the tenant's days filtered
        entries, last = audit.actor_feed(client_id, scope.actor.user_id, limit=q.limit, cursor=q.cursor, keep=keep)
    else:
        entries, last = audit.tenant_feed(client_id, since_ms=int(client.created_at), limit=q.limit, cursor=q.cursor,
                                          keep=keep)
    return page(entries, last, audit.view)

