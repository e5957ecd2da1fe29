"""Shapes of createMember, updateMember and bulkUpdateMembers: the seed's fields, each checked where
it is given (a 400 names it). Server-kept fields (engagement_score, lifetime_value, last_active) are
not written here but by their own operations."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.core.bulk import bulk_of
from shared.formats import EMAIL_PATTERN
from shared.ids import ULID_PATTERN
from shared.members.models import Epoch, Gender, Language, MemberStatus, Money, Tier, TimeZone

Tag = Annotated[str, Field(min_length=1, max_length=50)]
Json = Field(None, description="any JSON value (at most the item's size limit)")
# Readable codes: letters and digits a person can read out and type back.
REFERRAL_CODE = r"^[A-Za-z0-9][A-Za-z0-9-]{3,31}$"


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: str | None = Field(None, pattern=ULID_PATTERN)
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    full_name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, min_length=3, max_length=254, pattern=EMAIL_PATTERN)
    phone: str | None = Field(None, min_length=3, max_length=32)
    date_of_birth: int | None = Field(None, ge=-5_000_000_000_000, le=32503680000000,
                                      description="epoch milliseconds")
    gender: Gender | None = None
    total_spend: Decimal | None = Money
    acquisition_channel: str | None = Field(None, min_length=1, max_length=100)
    acquisition_cost: Decimal | None = Money
    location: str | None = Field(None, min_length=1, max_length=200)
    timezone: TimeZone | None = None
    language: Language | None = None
    preferences: Any = Json
    tags: list[Tag] | None = Field(None, max_length=50)
    notes: str | None = Field(None, max_length=5000)
    social_profiles: Any = Json
    communication_preferences: Any = Json
    permissions: Any = Json
    referral_code: str | None = Field(None, pattern=REFERRAL_CODE)
    referred_by: str | None = Field(None, pattern=ULID_PATTERN, description="id of the referring member")


class MemberCreate(_Profile):
    member_id: str = Field(min_length=1, max_length=64)
    tier: Tier = "basic"
    status: MemberStatus = "active"
    last_active: int | None = Epoch


class MemberPatch(_Profile):
    """updateMember's fields: those given change, null removes one. Not the tier: a tier changes
    through upgradeMemberTier alone (forward, or backward for an admin, audited with a reason), so
    a PATCH naming `tier` is refused (400 naming /body/tier)."""

    member_id: str | None = Field(None, min_length=1, max_length=64)
    status: MemberStatus | None = None


BulkMemberUpdate = bulk_of(MemberPatch, "member")
