"""Shapes of the webhook endpoint operations (createWebhookEndpoint, getWebhookEndpoints,
updateWebhookEndpoint, deleteWebhookEndpoint) and of triggerWebhook."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.core.page_query import DeletedPageQuery, page_of

EVENT_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"  # member.created
SUBSCRIPTION_PATTERN = r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*)$"  # an event type, or * for all
EventTypeName = Annotated[str, StringConstraints(pattern=SUBSCRIPTION_PATTERN, max_length=100)]
EVENT_TYPES = 'the event types it receives (`member.created`); `"*"`: every event'
URL = "https, on a public address: checked again at every delivery"


class EndpointOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    client_id: str
    url: str
    event_types: list[str]
    description: str | None = None
    enabled: bool
    disabled_reason: str | None = Field(None, description="why it stopped receiving: disabled by a caller, or "
                                        "410 Gone from its URL")
    secret_rotated_at: int | None = None
    deleted_at: int | None = None
    created_at: int
    updated_at: int
    version: int


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="the signing secret (Standard Webhooks `whsec_...`): shown in this answer "
                        "only, never again")


class EndpointChanged(EndpointOut):
    secret: str | None = Field(None, description="the new signing secret when `rotate_secret` was asked: shown in "
                               "this answer only")


EndpointPage = page_of(EndpointOut)


class EndpointListQuery(DeletedPageQuery):
    pass


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str | None = Field(None, max_length=500)


class EndpointCreate(_Fields):
    url: str = Field(min_length=1, max_length=2048, description=URL)
    event_types: list[EventTypeName] = Field(min_length=1, max_length=50, description=EVENT_TYPES)
    enabled: bool = True


class EndpointPatch(_Fields):
    url: str | None = Field(None, min_length=1, max_length=2048, description=URL)
    event_types: list[EventTypeName] | None = Field(None, min_length=1, max_length=50, description=EVENT_TYPES)
    enabled: bool | None = Field(None, description="false stops its deliveries; true resumes them (after a 410 too)")
    rotate_secret: bool = Field(False, description="true: a new signing secret replaces the old one at once, "
                                "shown in this answer only")


class TriggerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_type: str = Field(pattern=EVENT_PATTERN, max_length=100)
    event_id: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$",
                                 description="the event's own id (the `webhook-id` header; an id triggered before "
                                 "is refused, 409); default: a new one")
    payload: dict[str, Any] = Field(description="the event's data: the body's `data`")


class TriggeredDelivery(BaseModel):
    id: str = Field(description="the webhook's id (one per endpoint)")
    endpoint_id: str
    status: str


class TriggerOut(BaseModel):
    event_id: str
    event_type: str
    deliveries: list[TriggeredDelivery] = Field(description="one per enabled endpoint subscribed to the event "
                                                "type, queued; none subscribed: empty")
