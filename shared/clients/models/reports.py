"""Shapes of getClientStats, getClientRevenue and getClientUsage."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


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
