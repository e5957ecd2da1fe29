"""Shapes of getMemberReferrals."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from shared.core.page_query import PageQuery
from shared.members.models.member import MemberOut


class ReferralsQuery(PageQuery):
    pass


class ReferralTotals(BaseModel):
    referrals: int
    total_spend: Decimal


class ReferralPage(BaseModel):
    items: list[MemberOut] = Field(description="the members referred, newest first, each with its total_spend")
    next_cursor: str | None = None
    totals: ReferralTotals = Field(description="every member this one referred (a counter the stream consumer "
                                               "keeps: it trails a write by about a second)")
