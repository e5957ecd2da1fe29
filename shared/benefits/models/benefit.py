"""A benefit and a member benefit as the API shows them, and the queries of their lists."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from shared.benefits.models import BenefitStatus, BenefitType, GrantStatus, Tier
from shared.core.page_query import DeletedPageQuery, PageQuery, page_of


class BenefitOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    client_id: str
    name: str
    description: str | None = None
    type: BenefitType
    value: Decimal | None = None
    tier_requirement: Tier | None = None
    status: BenefitStatus
    max_redemptions: int | None = None
    deleted_at: int | None = None
    created_at: int
    updated_at: int
    version: int


class MemberBenefitOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    client_id: str
    member_id: str = Field(description="the member's id")
    benefit_id: str
    status: GrantStatus = Field(description="expired as soon as expires_at has passed")
    granted_at: int
    expires_at: int | None = None
    used_at: int | None = None
    created_at: int
    updated_at: int
    version: int


BenefitPage = page_of(BenefitOut)
MemberBenefitPage = page_of(MemberBenefitOut)


class BenefitGetQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_deleted: bool = False


class BenefitListQuery(DeletedPageQuery):
    status: BenefitStatus | None = None
    type: BenefitType | None = None
    tier_requirement: Tier | None = None


class BenefitsByTierQuery(PageQuery):
    pass


class BenefitSearchQuery(PageQuery):
    q: str = Field(min_length=1, max_length=100)


class MemberBenefitListQuery(PageQuery):
    status: GrantStatus | None = None
