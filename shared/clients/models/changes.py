"""Shapes of createClient, updateClient, upgradeClientTier and bulkUpdateClients."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.clients.models import ClientStatus, CompanySize, Epoch, Money, Tier
from shared.core.bulk import bulk_of
from shared.formats import EMAIL_PATTERN


class _Profile(BaseModel):
    """What an admin may change about its own client."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(None, min_length=3, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(None, min_length=3, max_length=32)
    address: str | None = Field(None, min_length=1, max_length=500)
    website: str | None = Field(None, max_length=2048, pattern=r"^https?://")
    industry: str | None = Field(None, min_length=1, max_length=100)
    company_size: CompanySize | None = None
    billing_address: str | None = Field(None, min_length=1, max_length=500)
    tax_id: str | None = Field(None, min_length=1, max_length=64)
    logo_url: str | None = Field(None, max_length=2048, pattern=r"^https://")
    notes: str | None = Field(None, max_length=5000)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(None, max_length=50)
    default_country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2")


class ClientCreate(_Profile):
    name: str = Field(min_length=1, max_length=200)
    status: ClientStatus = "active"
    subscription_tier: Tier = "basic"
    contract_start: int | None = Epoch
    contract_end: int | None = Epoch
    monthly_spend_limit: Decimal | None = Money


class ClientPatch(_Profile):
    name: str | None = Field(None, min_length=1, max_length=200)
    status: ClientStatus | None = None
    subscription_tier: Tier | None = None
    contract_start: int | None = Epoch
    contract_end: int | None = Epoch
    monthly_spend_limit: Decimal | None = Money


class TierBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier


BulkClientUpdate = bulk_of(ClientPatch, "client")
