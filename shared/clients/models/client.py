"""The client as the API shows it, and the query of getClientById."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from shared.clients.models import ClientStatus, CompanySize, Tier


class ClientOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    website: str | None = None
    industry: str | None = None
    company_size: CompanySize | None = None
    status: ClientStatus
    subscription_tier: Tier
    billing_address: str | None = None
    tax_id: str | None = None
    contract_start: int | None = None
    contract_end: int | None = None
    monthly_spend_limit: Decimal | None = None
    total_revenue: Decimal | None = None
    logo_url: str | None = None
    notes: str | None = None
    tags: list[str] | None = None
    default_country: str | None = None
    created_by: str
    deleted_at: int | None = None
    created_at: int
    updated_at: int
    version: int


class ClientGetQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_deleted: bool = False
