"""Shapes of getMemberStats and getMemberSegments: both read from the tenant's member counters."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel


class MemberStats(BaseModel):
    client_id: str
    total: int
    by_status: dict[str, int]
    by_tier: dict[str, int]
    new_this_month: int
    active_last_30_days: int
    referred: int
    total_spend: Decimal
    average_spend: Decimal | None  # total_spend / total
    total_lifetime_value: Decimal
    average_lifetime_value: Decimal | None
    average_acquisition_cost: Decimal | None  # over the members that have one
    average_engagement_score: float | None  # over the members that have a score


class Segment(BaseModel):
    value: str
    count: int
    share: float  # count / total (0 when there are no members)


class MemberSegments(BaseModel):
    client_id: str
    total: int
    tier: list[Segment]
    status: list[Segment]
    engagement_band: list[Segment]
    spend_band: list[Segment]
    acquisition_channel: list[Segment]  # the most frequent channels, then "other"
