"""Shape of upgradeMemberTier."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.members.models import Tier


class TierChange(BaseModel):
    """upgradeMemberTier: a manager moves a member up; only an admin moves one down."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tier: Tier
    reason: str = Field(min_length=3, max_length=500, description="why (kept in the audit log)")
