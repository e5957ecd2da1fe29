"""The clients store. A client is a tenant: its item lives in its own partition (`T#<id>#CLIENT`),
and a platform directory entry (`P#CLIENTS`, GSI1) lets super_admins list tenants without a Scan.
Names are unique platform-wide, case-insensitively, through a `P#CLIENTNAME#<lower name>` claim."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from shared import audit, clock
from shared.db import claims
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
        return {"PK": tenant_key(self.id, "CLIENT"), "SK": "CLIENT",
                "GSI1PK": platform_key("CLIENTS"), "GSI1SK": f"{self.created_at:015d}#{self.id}"}

    hidden = frozenset({"deleted_at"})

    @property
    def tenant_id(self) -> str:
        return self.id


def name_key(name: str) -> str:
    return platform_key("CLIENTNAME", " ".join(name.split()).lower())


def client_key(client_id: str) -> str:
    return tenant_key(client_id, "CLIENT")


def get(client_id: str) -> Client:
    try:
        client = Client.get(client_key(client_id), "CLIENT")
    except Client.DoesNotExist:
        raise NotFound("client not found") from None
    if client.deleted_at:
        raise NotFound("client not found")
    return client


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
