"""Shapes of getCommunicationTimeline, retryFailedCommunications and exportCommunications."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.communications.models import Channel, Direction
from shared.core.page_query import PageQuery
from shared.ids import ULID_PATTERN

Millis = Field(None, ge=0, le=32503680000000, description="epoch milliseconds")


class TimelineQuery(PageQuery):
    """One of member_id (its messages, a page of them at a time) or communication_id (one message)."""

    member_id: str | None = Field(None, pattern=ULID_PATTERN)
    communication_id: str | None = Field(None, pattern=ULID_PATTERN)


class TimelineEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    at: int = Field(description="epoch milliseconds")
    event: str = Field(description="a status (queued, sent, delivered, read, clicked, replied, failed, bounced) "
                                   "or a step of the send (sending, retrying, unknown, deferred)")
    communication_id: str
    channel: Channel
    direction: Direction = Field(description="inbound: a message the member sent (a reply)")
    attempt: int | None = None
    note: str | None = None
    content: str | None = Field(None, description="the message's first 160 characters, on its first event")


class Timeline(BaseModel):
    client_id: str
    member_id: str | None = None
    communication_id: str | None = None
    events: list[TimelineEvent] = Field(description="oldest first")
    next_cursor: str | None = Field(None, description="the member's earlier messages")


class RetryFailed(BaseModel):
    """Which failed communications to queue again: those whose attempts were spent on transient errors,
    newest first, matching every filter given, at most `limit`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel | None = None
    error_code: str | None = Field(None, min_length=1, max_length=64, description="the last error's code")
    created_from: int | None = Millis
    created_to: int | None = Millis
    limit: int = Field(100, ge=1, le=100, description="at most this many (the cap of one request)")



class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["jsonl", "csv"] = Field("jsonl", description="JSON Lines, or CSV with a header row")
