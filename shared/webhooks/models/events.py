"""Shapes of the §12 webhook operations: the events a tenant received from providers and sent to its
endpoints (getWebhooks, getWebhooksByEvent, getFailedWebhooks, logWebhookEvent, updateWebhookStatus,
bulkUpdateWebhooks, getWebhookStats, retryFailedWebhooks)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.core.bulk import bulk_of
from shared.core.page_query import PageQuery, page_of

Provider = Literal["twilio", "sendgrid", "nmi", "outbound"]
Status = Literal["received", "processed", "failed"]
EVENT_TYPE = r"^[A-Za-z0-9_.\-]{1,100}$"  # a provider's own name: message.delivered, spamreport, member.created


class WebhookOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    client_id: str
    provider: Provider
    event_type: str
    event_id: str = Field(description="the provider's id of the event: it is stored once")
    payload: str = Field(description="the event as received (JSON text), or as signed and sent (outbound)")
    status: Status
    attempts: int = Field(description="times it was applied (received) or delivered (outbound)")
    processed_at: int | None = None
    error_message: str | None = None
    communication_id: str | None = None
    endpoint_id: str | None = Field(None, description="outbound: the endpoint it goes to")
    created_at: int
    updated_at: int
    version: int


WebhookPage = page_of(WebhookOut)


class WebhookListQuery(PageQuery):
    provider: Provider | None = None
    status: Status | None = Field(None, description="received events only (outbound ones have their attempts)")


class WebhooksByEventQuery(PageQuery):
    event_type: str = Field(pattern=EVENT_TYPE)
    provider: Provider | None = None


class WebhookLog(BaseModel):
    """logWebhookEvent: an event received elsewhere (a provider's console, another system), recorded."""

    model_config = ConfigDict(extra="forbid")

    provider: Literal["twilio", "sendgrid", "nmi"]
    event_type: str = Field(pattern=EVENT_TYPE)
    event_id: str = Field(min_length=1, max_length=200, description="the provider's id: an id logged before is a 409")
    payload: dict[str, Any] = Field(default_factory=dict)
    status: Status = "received"
    error_message: str | None = Field(None, max_length=1000)
    communication_id: str | None = Field(None, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")


class WebhookStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    error_message: str | None = Field(None, max_length=1000, description="why it failed (kept until processed)")


BulkWebhookUpdate = bulk_of(WebhookStatusChange, "webhook")


class WebhookStats(BaseModel):
    client_id: str
    total: int
    by_status: dict[str, int]
    by_provider: dict[str, int]
    by_event_type: list[dict[str, Any]] = Field(description="the most frequent event types, then `other`")


class RetryFailed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Literal["twilio", "sendgrid"] | None = None
    limit: int = Field(25, ge=1, le=100, description="at most this many, newest first")
