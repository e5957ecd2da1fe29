"""The clients store: the only code that knows how a client is keyed.

A client is a tenant: its item lives in its own partition (`T#<id>#CLIENT`). Super_admins reach
tenants through platform listings, never a Scan:

| access pattern                         | index | key condition                                          |
|----------------------------------------|-------|--------------------------------------------------------|
| client by id                           | table | PK = `T#<id>#CLIENT`, SK = `CLIENT`                    |
| all clients, newest first (getClients) | GSI1  | GSI1PK = `P#CLIENTS`, GSI1SK = `<created_at>#<id>`     |
| clients of one tier (getClientsByTier) | GSI2  | GSI2PK = `P#CLIENTS#TIER#<tier>`, GSI2SK as GSI1SK     |
| contracts ending in a window           | GSI3  | GSI3PK = `P#CONTRACTS`, GSI3SK between `<from>`..`<to>` |
| name taken? (case-insensitive)         | table | PK = `P#CLIENTNAME#<folded name>` (claim)              |
| search by name/email prefix            | table | PK = `P#SEARCH#CLIENT#<token>` (projection)            |

GSI3 is sparse: only live clients with a `contract_end` carry its keys. Index keys are derived from
fields in `keys()`, and `shared.mutation` moves them when those fields change (a new tier, a new
contract end, a soft delete).
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from shared import audit, clock
from shared import mutation as mutate
from shared.db import claims, query
from shared.db.attributes import DecimalAttribute
from shared.db.table import Item, platform_key, tenant_key
from shared.db.tx import Tx
from shared.errors import NotFound


class Client(Item, discriminator="CLIENT"):
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
    deleted_at = NumberAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()

    def keys(self):
        created = f"{int(self.created_at):015d}#{self.id}"
        contract = self.contract_end is not None and not self.deleted_at
        return {"PK": client_key(self.id), "SK": "CLIENT",
                "GSI1PK": platform_key("CLIENTS"), "GSI1SK": created,
                "GSI2PK": tier_partition(self.subscription_tier), "GSI2SK": created,
                "GSI3PK": CONTRACTS if contract else None,
                "GSI3SK": f"{int(self.contract_end):015d}#{self.id}" if contract else None}

    @property
    def tenant_id(self) -> str:
        return self.id


CONTRACTS = platform_key("CONTRACTS")


def name_key(name: str) -> str:
    return platform_key("CLIENTNAME", " ".join(name.split()).casefold())


def client_key(client_id: str) -> str:
    return tenant_key(client_id, "CLIENT")


def tier_partition(tier: str) -> str:
    return platform_key("CLIENTS", "TIER", tier)


def get(client_id: str, include_deleted: bool = False) -> Client:
    try:
        client = Client.get(client_key(client_id), "CLIENT")
    except Client.DoesNotExist:
        raise NotFound("client not found") from None
    if client.deleted_at and not include_deleted:
        raise NotFound("client not found")
    return client


def batch_get(ids: list[str]) -> list[Client]:
    """Clients by id in the order asked (missing ones left out): one BatchGetItem per 100."""
    if not ids:
        return []
    found = {c.id: c for c in Client.batch_get([(client_key(i), "CLIENT") for i in dict.fromkeys(ids)])}
    return [found[i] for i in ids if i in found]


def list_clients(*, status: str | None, tier: str | None, include_deleted: bool, limit: int,
                 cursor: str | None) -> tuple[list[Client], dict | None]:
    """Newest first; by tier through GSI2, by status filtered within the read budget."""
    def keep(c: Client) -> bool:
        return (include_deleted or not c.deleted_at) and (status is None or c.status == status)

    if tier:
        return query.page(Client, tier_partition(tier), index="GSI2", limit=limit, cursor=cursor,
                          newest_first=True, keep=keep)
    return query.page(Client, platform_key("CLIENTS"), index="GSI1", limit=limit, cursor=cursor,
                      newest_first=True, keep=keep)


def contracts_ending(from_ms: int, to_ms: int, *, limit: int, cursor: str | None) -> tuple[list[Client], dict | None]:
    """Live clients whose contract_end is in [from_ms, to_ms], soonest first: one range query on GSI3."""
    return query.page(Client, CONTRACTS, index="GSI3", limit=limit, cursor=cursor,
                      sk_between=(f"{from_ms:015d}", f"{to_ms:015d}~"))


def create(client: Client, actor=None) -> Client:
    """Write a new client with its name claim and audit entry, all or nothing."""
    now = clock.now_ms()
    client.created_at, client.updated_at, client.version = client.created_at or now, now, 1
    tx = Tx()
    tx.put(client, condition=Client.PK.does_not_exist())
    claims.claim(tx, name_key(client.name), client, field="/body/name", client_id=client.id)
    audit.record(tx, actor, "client", client.id, "createClient", None, client.public(), client_id=client.id)
    tx.commit()
    return client


def update(client_id: str, changes: dict, *, actor, operation: str, expected_version: int | None = None,
           check=None) -> Client:
    """Change fields; a new name moves its platform-wide claim in the same transaction."""
    def move_name_claim(tx: Tx, client: Client, changed: dict) -> None:
        if "name" in changed and name_key(changed["name"]) != name_key(client.name):
            claims.release(tx, name_key(client.name))
            claims.claim(tx, name_key(changed["name"]), client, field="/body/name", client_id=client.id)

    return mutate.update(Client, client_key(client_id), "CLIENT", changes, actor=actor, what="client",
                         operation=operation, expected_version=expected_version, check=check,
                         extra=move_name_claim)


def soft_delete(client_id: str, *, actor, expected_version: int | None = None) -> Client:
    """deleteClient: hidden from lists and gets, its name free again, its contract out of GSI3."""
    def release_name(tx: Tx, client: Client, changed: dict) -> None:
        claims.release(tx, name_key(client.name))

    return mutate.update(Client, client_key(client_id), "CLIENT", {"deleted_at": clock.now_ms()}, actor=actor,
                         what="client", operation="deleteClient", expected_version=expected_version,
                         extra=release_name)
