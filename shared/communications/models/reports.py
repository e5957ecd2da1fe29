"""Shapes of the communication reports (getCommunicationStats, getDeliveryRates, getCommunicationCosts,
getEngagementMetrics, getResponseRates), all read from the tenant's counters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from shared.communications.models import Channel


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_date: date | None = Field(None, description="first UTC day (yyyy-mm-dd) of created_at; none: all time")
    end_date: date | None = Field(None, description="last UTC day, inclusive (default today); at most 100 days "
                                                    "after start_date")
    channel: Channel | None = Field(None, description="only this channel's messages")


class _Report(BaseModel):
    client_id: str
    start_date: str | None = Field(None, description="the range's first UTC day (yyyy-mm-dd); none: all time")
    end_date: str | None = Field(None, description="its last UTC day, inclusive")
    channel: Channel | None = None


class CommunicationStats(_Report):
    total: int
    by_status: dict[str, int]
    by_channel: dict[str, int]
    by_direction: dict[str, int]
    by_message_type: dict[str, int]
    total_cost: Decimal
    total_segments: int
    skipped: dict[str, int] = Field(description="marketing sends the sender skipped without a provider call: "
                                                "`total`, `opted_out` (the recipient opted out of the channel), "
                                                "`frequency_cap` (messaging.frequency_caps with over_cap skip)")


class Delivery(BaseModel):
    outbound: int
    sent: int = Field(description="taken by the provider: sent, or any status after it (bounced included)")
    delivered: int = Field(description="delivered, read, clicked or replied")
    failed: int
    bounced: int
    delivery_rate: float | None = Field(description="delivered / sent")
    bounce_rate: float | None = Field(description="bounced / sent")
    failure_rate: float | None = Field(description="failed / (sent + failed)")


class ChannelDelivery(Delivery):
    channel: Channel


class DeliveryRates(_Report, Delivery):
    by_channel: list[ChannelDelivery]


class Costs(BaseModel):
    cost: Decimal = Field(description="the providers' cost of the outbound messages, exact")
    segments: int
    sent: int
    average_cost_per_message: Decimal | None = Field(description="cost / sent")


class ChannelCosts(Costs):
    channel: Channel


class CommunicationCosts(_Report, Costs):
    by_channel: list[ChannelCosts]


class Engagement(BaseModel):
    delivered: int
    opened: int = Field(description="read or clicked (a click implies an open)")
    clicked: int
    replied: int
    open_rate: float | None = Field(description="opened / delivered")
    click_rate: float | None = Field(description="clicked / delivered")
    click_to_open_rate: float | None = Field(description="clicked / opened")
    reply_rate: float | None = Field(description="replied / delivered")


class ChannelEngagement(Engagement):
    channel: Channel


class EngagementMetrics(_Report, Engagement):
    by_channel: list[ChannelEngagement]


class Responses(BaseModel):
    delivered: int
    replied: int
    inbound: int = Field(description="messages received from members")
    response_rate: float | None = Field(description="replied / delivered")


class ChannelResponses(Responses):
    channel: Channel


class ResponseRates(_Report, Responses):
    by_channel: list[ChannelResponses]
