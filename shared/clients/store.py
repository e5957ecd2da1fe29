"""The clients store: the only code that knows how a client is keyed.

A client is a tenant: its item lives in its own partition (`T#<id>#CLIENT`). Super_admins reach
tenants through platform listings, never a Scan:

| access pattern                         | index | key condition                                          |
|----------------------------------------|-------|--------------------------------------------------------|
| client by id                           | table | PK = `T#<id>#CLIENT`, SK = `CLIENT`                    |
| all clients, newest first (getClients) | GSI1  | GSI1PK = `P#CLIENTS`, GSI1SK = `<created_at>#<id>`     |
| deleted clients (include_deleted)      | GSI1  | GSI1PK = `P#CLIENTS#DELETED`, GSI1SK as above          |
| clients of one tier (getClientsByTier) | GSI2  | GSI2PK = `P#CLIENTS#TIER#<tier>`, GSI2SK as GSI1SK     |
| contracts ending in a window           | GSI3  | GSI3PK = `P#CONTRACTS`, GSI3SK between `<from>`..`<to>` |
| name taken? (case-insensitive)         | table | PK = `P#CLIENTNAME#<folded name>` (claim)              |
| search by name/email prefix            | table | PK = `P#SEARCH#CLIENT#<token>` (projection)            |

GSI2 and GSI3 hold live clients only; GSI3 is sparse: only live clients with a `contract_end` carry its keys. Index keys are derived from
fields in `keys()`, and `shared.mutation` moves them when those fields change (a new tier, a new
contract end, a soft delete).
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from shared.db import query
from shared.db.attributes import DecimalAttribute
from shared.db.table import platform_key, tenant_key
from shared.entity import Entity, EntityStore, Unique

CONTRACTS = platform_key("CONTRACTS")


def name_key(name: str) -> str:
    return platform_key("CLIENTNAME", " ".join(name.split()).casefold())


def client_key(client_id: str) -> str:
    return tenant_key(client_id, "CLIENT")


def tier_partition(tier: str) -> str:
    return platform_key("CLIENTS", "TIER", tier)


class Client(Entity, discriminator="CLIENT"):
    # Deleted clients are the platform's business: seeing them needs tenants:write (super_admin).
    what, resource = "client", "tenants"
    unique = (Unique("name", lambda name, client: name_key(name)),)

    id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    website = UnicodeAttribute(null=True)
    industry = UnicodeAttribute(null=True)
    company_size = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    subscription_tier = UnicodeAttribute()
    billing_address = UnicodeAttribute(null=True)
    tax_id = UnicodeAttribute(null=True)
    contract_start = NumberAttribute(null=True)
    contract_end = NumberAttribute(null=True)
    monthly_spend_limit = DecimalAttribute(null=True)
    total_revenue = DecimalAttribute(null=True)
    logo_url = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    default_country = UnicodeAttribute(null=True)  # ISO 3166 alpha-2, for phones written without +
    created_by = UnicodeAttribute()

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        return client_key(item_id), "CLIENT"

    def keys(self):
        created = f"{int(self.created_at):015d}#{self.id}"
        live = not self.deleted_at
        contract = self.contract_end is not None and live
        return {"PK": client_key(self.id), "SK": "CLIENT",
                "GSI1PK": self.listing(platform_key("CLIENTS")), "GSI1SK": created,
                "GSI2PK": tier_partition(self.subscription_tier) if live else None, "GSI2SK": created if live else None,
                "GSI3PK": CONTRACTS if contract else None,
                "GSI3SK": f"{int(self.contract_end):015d}#{self.id}" if contract else None}

    @property
    def tenant_id(self) -> str:
        return self.id


clients = EntityStore(Client)
create = clients.create


def get(client_id: str, include_deleted: bool = False) -> Client:
    return clients.get(client_id, client_id, include_deleted=include_deleted)


def batch_get(ids: list[str]) -> list[Client]:
    return clients.batch_get(None, ids)


def update(client_id: str, changes: dict, **kwargs) -> Client:
    return clients.update(client_id, client_id, changes, **kwargs)


def soft_delete(client_id: str, **kwargs) -> Client:
    """deleteClient: hidden from lists and gets, its name free again, its contract out of GSI3."""
    return clients.soft_delete(client_id, client_id, **kwargs)


def list_clients(*, status: str | None, tier: str | None, include_deleted: bool, limit: int,
                 cursor: str | None) -> tuple[list[Client], dict | None]:
    """Newest first; by tier through GSI2, by status filtered within the read budget."""
    def keep(c: Client) -> bool:
        return status is None or c.status == status

    def keep_deleted(c: Client) -> bool:
        return keep(c) and (tier is None or c.subscription_tier == tier)

    filtered = keep if status is not None else None
    if tier:
        return clients.page(tier_partition(tier), index="GSI2", limit=limit, cursor=cursor, keep=filtered,
                            include_deleted=include_deleted, deleted_keep=keep_deleted,
                            deleted_partition=(platform_key("CLIENTS", "DELETED"), "GSI1"))
    return clients.page(platform_key("CLIENTS"), index="GSI1", limit=limit, cursor=cursor, keep=filtered,
                        include_deleted=include_deleted)


def contracts_ending(from_ms: int, to_ms: int, *, limit: int, cursor: str | None) -> tuple[list[Client], dict | None]:
    """Live clients whose contract_end is in [from_ms, to_ms], soonest first: one range query on GSI3."""
    return query.page(Client, CONTRACTS, index="GSI3", limit=limit, cursor=cursor,
                      sk_between=(f"{from_ms:015d}", f"{to_ms:015d}~"))
