"""Benefit shapes, one module per kind of operation, so a handler builds only the pydantic models it
uses. This package file holds the field types they share (entities.md §8–9)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

BenefitType = Literal["discount", "reward", "access", "service"]
BenefitStatus = Literal["active", "inactive"]
GrantStatus = Literal["active", "used", "expired"]
# A benefit's tier_requirement is a member tier: the members' own order (basic < premium < elite <
# executive), repeated here because one domain never imports another's models.
Tier = Literal["basic", "premium", "elite", "executive"]
TIERS: tuple[str, ...] = ("basic", "premium", "elite", "executive")
Epoch = Field(None, ge=0, le=32503680000000, description="epoch milliseconds")
