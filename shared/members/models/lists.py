"""Shapes of the member lists, lookups and searches."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.core.page_query import DeletedPageQuery, PageQuery, page_of
from shared.formats import EMAIL_PATTERN
from shared.members.bands import EngagementBand
from shared.members.models import Epoch, MemberStatus, Tier
from shared.members.models.member import MemberOut


class MemberFilterQuery(DeletedPageQuery):
    """getMembersByTier's filters (its tier is in the path); every one read by index."""

    status: MemberStatus | None = None
    engagement_band: EngagementBand | None = Field(None, description="cold <20, cool 20-39, warm 40-69, hot >=70, "
                                                                     "none: no score yet")
    acquisition_channel: str | None = Field(None, min_length=1, max_length=100, description="case-insensitive")
    tag: str | None = Field(None, min_length=1, max_length=50, description="case-insensitive")
    last_active_from: int | None = Epoch
    last_active_to: int | None = Epoch

    @field_validator("last_active_to")
    @classmethod
    def _after_from(cls, value: int | None, info: ValidationInfo) -> int | None:
        start = info.data.get("last_active_from")
        if value is not None and start is not None and value < start:
            raise ValueError("last_active_to is before last_active_from")
        return value


class MemberListQuery(MemberFilterQuery):
    tier: Tier | None = None


class MemberSearchQuery(PageQuery):
    q: str = Field(min_length=1, max_length=100)


class MemberIdQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: str = Field(min_length=1, max_length=64)


class MemberEmailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)


MemberPage = page_of(MemberOut)
