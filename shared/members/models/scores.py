"""Answers of the analytic member operations (engagement, churn risk, lifetime value,
recommendations): each lists every contributing factor with its value and weight."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.members.models import Tier


class Factor(BaseModel):
    factor: str
    value: Decimal = Field(description="the factor's value (0..1 for scores; an amount for lifetime value)")
    weight: Decimal
    contribution: Decimal = Field(description="value × weight, in the answer's unit")
    inputs: dict[str, Any] = Field(description="what the value was computed from")


class EngagementOut(BaseModel):
    id: str
    engagement_score: Decimal = Field(description="0..100: 100 × Σ value × weight")
    factors: list[Factor]
    computed_at: int
    version: int


class ChurnRiskOut(BaseModel):
    id: str
    churn_risk: Decimal = Field(description="0..1: Σ value × weight")
    band: Literal["low", "medium", "high"]
    factors: list[Factor]
    computed_at: int


class LifetimeValueOut(BaseModel):
    id: str
    lifetime_value: Decimal
    historical_net_spend: Decimal
    projected_spend: Decimal
    factors: list[Factor]
    assumptions: dict[str, Any]
    computed_at: int
    version: int


class Recommendation(BaseModel):
    rank: int
    kind: Literal["tier", "benefit"]
    tier: Tier | None = None
    benefit_id: str | None = None
    name: str | None = None
    eligible: bool
    reason: str


class RecommendationsOut(BaseModel):
    id: str
    tier: Tier
    engagement_score: Decimal
    total_spend: Decimal
    recommendations: list[Recommendation]
    computed_at: int
