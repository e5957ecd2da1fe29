"""Client shapes every client operation shares; the others live beside this, one module per kind of
operation, so a handler builds only the pydantic models it uses (each costs cold start).

Money (`monthly_spend_limit`, `total_revenue`, revenue and usage amounts) is `Decimal` in and out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Tier = Literal["basic", "premium", "enterprise", "custom"]
TIERS: tuple[str, ...] = ("basic", "premium", "enterprise", "custom")  # the upgrade order
ClientStatus = Literal["active", "inactive", "suspended", "trial"]
CompanySize = Literal["1-10", "11-50", "51-200", "201-500", "500+"]
Money = Field(None, ge=0, max_digits=14, decimal_places=4)
Epoch = Field(None, ge=0, le=32503680000000, description="epoch milliseconds")
# Fields only a super_admin sets: the commercial terms (entities.md, rights table).
SUPER_ADMIN_FIELDS = ("subscription_tier", "status", "contract_start", "contract_end", "monthly_spend_limit")


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
