"""Shapes of updateMemberSpend (shared.members.insights)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.members.models import Epoch


class SpendIn(BaseModel):
    """updateMemberSpend: one purchase or refund; a retry with the same `reference` changes nothing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    kind: Literal["purchase", "refund"] = "purchase"
    at: int | None = Epoch
    reference: str | None = Field(None, min_length=1, max_length=128,
                                  description="the caller's id of the purchase (an order or transaction id)")


class SpendOut(BaseModel):
    id: str
    total_spend: Decimal
    purchase_count: int
    refund_count: int
    purchase_total: Decimal
    refund_total: Decimal
    average_order_value: Decimal | None = None
    first_purchase_at: int | None = None
    last_purchase_at: int | None = None
    recorded: bool = Field(description="false when the reference was recorded already (nothing changed)")
    version: int
