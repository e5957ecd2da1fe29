"""The member as the API shows it, and the query of getMemberById."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.members.models import Gender, MemberStatus, Tier


class MemberOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    client_id: str
    user_id: str | None = None
    member_id: str
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    date_of_birth: int | None = None
    gender: Gender | None = None
    tier: Tier
    status: MemberStatus
    engagement_score: float | None = None
    total_spend: Decimal | None = None
    lifetime_value: Decimal | None = None
    acquisition_channel: str | None = None
    acquisition_cost: Decimal | None = None
    last_active: int | None = None
    location: str | None = None
    timezone: str | None = None
    language: str | None = None
    preferences: Any = None
    tags: list[str] | None = None
    notes: str | None = None
    social_profiles: Any = None
    communication_preferences: Any = None
    permissions: Any = None
    referral_code: str | None = None
    referred_by: str | None = None
    deleted_at: int | None = None
    erased_at: int | None = None
    created_at: int
    updated_at: int
    version: int


class MemberGetQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_deleted: bool = False
