"""Client shapes, one module per kind of operation, so a handler builds only the pydantic models it
uses (each costs cold start). This package file holds only the field types they share.

Money (`monthly_spend_limit`, `total_revenue`, revenue and usage amounts) is `Decimal` in and out.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

Tier = Literal["basic", "premium", "enterprise", "custom"]
TIERS: tuple[str, ...] = ("basic", "premium", "enterprise", "custom")  # the upgrade order
ClientStatus = Literal["active", "inactive", "suspended", "trial"]
CompanySize = Literal["1-10", "11-50", "51-200", "201-500", "500+"]
Money = Field(None, ge=0, max_digits=14, decimal_places=4)
Epoch = Field(None, ge=0, le=32503680000000, description="epoch milliseconds")
# Fields only a super_admin sets: the commercial terms (entities.md, rights table).
SUPER_ADMIN_FIELDS = ("subscription_tier", "status", "contract_start", "contract_end", "monthly_spend_limit")
