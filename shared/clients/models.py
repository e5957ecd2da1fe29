"""Request and response shapes of the client operations (seed section 2) and of client exports.

Money (`monthly_spend_limit`, `total_revenue`, revenue and usage amounts) is `Decimal` in and out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.api.page_query import PageQuery

Tier = Literal["basic", "premium", "enterprise", "custom"]
TIERS: tuple[str, ...] = ("basic", "premium", "enterprise", "custom")  # the upgrade order
ClientStatus = Literal["active", "inactive", "suspended", "trial"]
CompanySize = Literal["1-10", "11-50", "51-200", "201-500", "500+"]
Money = Field(None, ge=0, max_digits=14, decimal_places=4)
Epoch = Field(None, ge=0, le=32503680000000, description="epoch milliseconds")
# Fields only a super_admin sets: the commercial terms (entities.md, rights table).
SUPER_ADMIN_FIELDS = ("subscription_tier", "status", "contract_start", "contract_end", "monthly_spend_limit")


class _Profile(BaseModel):
    """What an admin may change about its own client."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(None, min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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


class ClientPage(BaseModel):
    items: list[ClientOut]
    next_cursor: str | None = None


class ClientListQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    status: ClientStatus | None = None
    tier: Tier | None = None
    include_deleted: bool = False


class ClientGetQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_deleted: bool = False


class ClientSearchQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=100)


class ExpiringQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(30, ge=1, le=3650)


class TierBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier


class BulkClientChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40)
    version: int | None = Field(None, ge=1, description="as If-Match: refused (412) if the client moved on")
    changes: ClientPatch


class BulkClientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    updates: list[BulkClientChange] = Field(min_length=1, max_length=100)


class ClientStats(BaseModel):
    total: int
    by_status: dict[str, int]
    by_tier: dict[str, int]
    by_company_size: dict[str, int]


class RevenueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(12, ge=1, le=36, description="how many months, ending with the current one")


class MoneyTotals(BaseModel):
    gross: Decimal
    refunds: Decimal
    chargebacks: Decimal
    net: Decimal
    charges: int
    refund_count: int


class RevenueMonth(BaseModel):
    month: str
    by_currency: dict[str, MoneyTotals]


class ClientRevenue(BaseModel):
    client_id: str
    months: list[RevenueMonth] = Field(description="oldest first; months without transactions are empty")
    totals: dict[str, MoneyTotals] = Field(description="over the months asked, per currency")
    all_time: dict[str, MoneyTotals]


class UsageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; default: this month")


class ChannelUsage(BaseModel):
    messages: int
    cost: Decimal


class ClientUsage(BaseModel):
    client_id: str
    month: str
    channels: dict[str, ChannelUsage]
    total_messages: int
    total_cost: Decimal
    monthly_spend_limit: Decimal | None = None
    remaining: Decimal | None = None
    percent_used: Decimal | None = None
    over_limit: bool


class ActivityQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    entity_type: str | None = Field(None, min_length=1, max_length=40)


ExportStatus = Literal["queued", "running", "completed", "failed"]


class ExportAccepted(BaseModel):
    job_id: str
    client_id: str
    status: ExportStatus
    href: str = Field(description="poll this for progress and, once completed, the download URL")


class ExportJobOut(BaseModel):
    job_id: str
    client_id: str
    status: ExportStatus
    format: str
    items_written: int
    bytes_written: int
    parts: int
    requested_by: str | None = None
    created_at: int
    started_at: int | None = None
    completed_at: int | None = None
    error_message: str | None = None
    download_url: str | None = Field(None, description="pre-signed GET, valid for url_expires_in seconds")
    url_expires_in: int | None = None
