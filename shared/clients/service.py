"""Client operations (seed section 2): rights per entities.md, tenancy first.

A client is a tenant. super_admin sees and changes every client; an admin reads its own client and
changes its profile (never tier, status, contract dates or spend limit); managers and users read it.
Another tenant's client answers 404, never 403; a role that may never do an operation gets 403 from
the decorator before anything is read.
"""

from __future__ import annotations

from shared import clock, phones
from shared.api.pagination import page
from shared.api.request import Actor
from shared.clients import store
from shared.clients.models import SUPER_ADMIN_FIELDS, TIERS
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.ids import new_id

DAY_MS = 24 * 60 * 60 * 1000
_NOT_NULL = ("name", "status", "subscription_tier")


def own(actor: Actor, client_id: str) -> None:
    """Only super_admin reaches another tenant's client; for anyone else it does not exist."""
    if not actor.is_super_admin and client_id != actor.tenant:
        raise NotFound("client not found")


def _deleted_allowed(actor: Actor, include_deleted: bool) -> bool:
    if include_deleted and not actor.is_super_admin:
        raise Forbidden("include_deleted is for super_admins", field="/query/include_deleted")
    return include_deleted


def get_client(actor: Actor, client_id: str, include_deleted: bool = False) -> dict:
    """getClientById."""
    own(actor, client_id)
    return store.get(client_id, include_deleted=_deleted_allowed(actor, include_deleted)).public()


def list_clients(actor: Actor, q) -> dict:
    """getClients: super_admin pages through the platform directory (newest first); anyone else gets
    its own client as a one-item page (filters still apply)."""
    include_deleted = _deleted_allowed(actor, q.include_deleted)
    if not actor.is_super_admin:
        client = store.get(actor.tenant)
        wanted = q.status in (None, client.status) and q.tier in (None, client.subscription_tier)
        return page([client] if wanted else [], None, lambda c: c.public())
    items, last = store.list_clients(status=q.status, tier=q.tier, include_deleted=include_deleted,
                                     limit=q.limit, cursor=q.cursor)
    return page(items, last, lambda c: c.public())


def with_tier(q, tier: str):
    """getClientsByTier's path tier as the list filter (400 naming /path/tier when unknown)."""
    if tier not in TIERS:
        raise ValidationFailed(f"tier must be one of {', '.join(TIERS)}", field="/path/tier")
    return q.model_copy(update={"tier": tier})


def search_clients(actor: Actor, q) -> dict:
    """searchClients: prefix match on the name's and email's words, accent- and case-insensitive.
    Reads the most selective term's token partition, then checks every term on the clients found."""
    from shared import search
    from shared.clients.projections import client_search, token_partition
    from shared.db import query
    from shared.db.projections import SearchToken

    terms = search.query_terms(q.q)
    if not terms:
        raise ValidationFailed("q has no searchable characters", field="/query/q")
    tokens, last = query.page(SearchToken, token_partition(terms[0]), limit=q.limit, cursor=q.cursor)
    found = store.batch_get([t.SK for t in tokens])
    hits = [c for c in found if not c.deleted_at
            and {token_partition(t) for t in terms} <= client_search(c.attribute_values)]
    return page(hits, last, lambda c: c.public())


def _check_contract(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationFailed("contract_end is before contract_start", field="/body/contract_end")


def create_client(actor: Actor, body) -> dict:
    """createClient: name unique platform-wide, ignoring case and spacing (409 naming /body/name)."""
    data = body.model_dump(exclude_none=True)
    _check_contract(data.get("contract_start"), data.get("contract_end"))
    if data.get("email"):
        data["email"] = data["email"].lower()
    if data.get("phone"):
        data["phone"] = phones.to_e164(data["phone"], None, "/body/phone",
                                       country=data.get("default_country") or phones.DEFAULT_COUNTRY)
    client = store.Client(id=new_id(), created_by=actor.user_id, **data)
    return store.create(client, actor).public()


def _clean_changes(actor: Actor, client_id: str, body) -> dict:
    changes = body.model_dump(exclude_unset=True)
    for name in _NOT_NULL:
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be removed", field=f"/body/{name}")
    if not actor.is_super_admin:
        refused = [f for f in SUPER_ADMIN_FIELDS if f in changes]
        if refused:
            raise Forbidden(f"only a super_admin changes {refused[0]}", field=f"/body/{refused[0]}")
    if changes.get("email"):
        changes["email"] = changes["email"].lower()
    if changes.get("phone"):
        changes["phone"] = phones.to_e164(changes["phone"], client_id, "/body/phone",
                                          country=changes.get("default_country"))
    return changes


def update_client(actor: Actor, client_id: str, body, expected_version: int | None = None) -> dict:
    """updateClient: admins change their own client's profile; the commercial terms are super_admin's."""
    own(actor, client_id)
    changes = _clean_changes(actor, client_id, body)

    def check(client: store.Client) -> None:
        _check_contract(changes.get("contract_start", client.contract_start),
                        changes.get("contract_end", client.contract_end))

    client = store.update(client_id, changes, actor=actor, operation="updateClient",
                          expected_version=expected_version, check=check)
    return client.public()


def delete_client(actor: Actor, client_id: str, expected_version: int | None = None) -> None:
    """deleteClient: soft delete; the name is free again; its users' logins and tokens stop."""
    store.soft_delete(client_id, actor=actor, expected_version=expected_version)


def bulk_update(actor: Actor, body) -> dict:
    """bulkUpdateClients: each item on its own, with its own result."""
    from shared.api import bulk

    return bulk.each(body.updates, lambda e: update_client(actor, e.id, e.changes, e.version))


def upgrade_tier(actor: Actor, client_id: str, tier: str, expected_version: int | None = None) -> dict:
    """upgradeClientTier: only upwards, basic < premium < enterprise < custom (else 409)."""
    def check(client: store.Client) -> None:
        if TIERS.index(tier) <= TIERS.index(client.subscription_tier):
            raise Conflict(f"{client.subscription_tier} to {tier} is not an upgrade", field="/body/tier")

    client = store.update(client_id, {"subscription_tier": tier}, actor=actor, operation="upgradeClientTier",
                          expected_version=expected_version, check=check)
    return client.public()


def expiring_contracts(actor: Actor, q) -> dict:
    """getExpiringContracts: live contracts ending from now to `days` ahead, soonest first."""
    now = clock.now_ms()
    items, last = store.contracts_ending(now, now + q.days * DAY_MS, limit=q.limit, cursor=q.cursor)
    return page(items, last, lambda c: c.public())


def client_activity(actor: Actor, client_id: str, q) -> dict:
    """getClientActivity: the tenant's audit log, newest first (a `user` sees only its own entries)."""
    from shared.audit import AuditEntry
    from shared.db import query
    from shared.db.table import tenant_key

    own(actor, client_id)
    store.get(client_id, include_deleted=actor.is_super_admin)
    mine = actor.user_id if actor.role == "user" else None

    def keep(e: AuditEntry) -> bool:
        return (mine is None or e.actor_id == mine) and (q.entity_type is None or e.entity_type == q.entity_type)

    filtered = mine is not None or q.entity_type is not None
    entries, last = query.page(AuditEntry, tenant_key(client_id, "AUDIT"), limit=q.limit, cursor=q.cursor,
                               newest_first=True, keep=keep if filtered else None)
    from shared import audit

    return page(entries, last, audit.view)
