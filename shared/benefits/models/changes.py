"""Shapes of createBenefit, updateBenefit, bulkUpdateBenefits and grantBenefitToMember."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from shared.benefits.models import BenefitType, Epoch, Tier
from shared.core.bulk import bulk_of
from shared.ids import ULID_PATTERN


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str | None = Field(None, max_length=2000)
    value: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4,
                                  description="what it is worth: a discount's amount or percent, a reward's points")
    tier_requirement: Tier | None = Field(None, description="the lowest member tier it may be granted to")
    max_redemptions: int | None = Field(None, ge=1, le=100_000_000,
                                        description="how many grants of it may be used, in all")


class BenefitCreate(_Fields):
    name: str = Field(min_length=1, max_length=200)
    type: BenefitType


class BenefitPatch(_Fields):
    """Status moves by activateBenefit and deactivateBenefit only."""

    name: str | None = Field(None, min_length=1, max_length=200)
    type: BenefitType | None = None


BulkBenefitUpdate = bulk_of(BenefitPatch, "benefit")


class GrantBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    benefit_id: str = Field(pattern=ULID_PATTERN)
    expires_at: int | None = Epoch
