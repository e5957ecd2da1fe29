"""The shape of getBenefitUsage."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BenefitUsage(BaseModel):
    benefit_id: str
    grants: int = Field(description="grants ever made")
    active: int = Field(description="granted, not used, not expired")
    uses: int = Field(description="grants used (each counts towards max_redemptions)")
    expired: int = Field(description="grants that expired unused")
    max_redemptions: int | None = None
    remaining_redemptions: int | None = Field(None, description="null: no limit")
