"""A communication as the API shows it, and the queries of its lists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.communications.models import Channel, Direction, MessageType, Provider, Status
from shared.core.page_query import PageQuery, page_of


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: str = Field(description="a status, or a step of the send: sending, retrying, unknown")
    at: int = Field(description="epoch milliseconds")
    attempt: int | None = None
    note: str | None = None


class AttachmentRef(BaseModel):
    """A file sent with an email, as stored: its content never comes back."""

    model_config = ConfigDict(extra="ignore")

    filename: str
    type: str = Field(description="its MIME type")
    disposition: str | None = None
    content_id: str | None = None
    size: int = Field(description="bytes, decoded")
    sha256: str = Field(description="hex digest of the bytes")


class ContentRef(BaseModel):
    """An email body too large for the item, stored whole (text and html); `content` is its text's start."""

    model_config = ConfigDict(extra="ignore")

    type: str
    size: int = Field(description="bytes stored")
    sha256: str


class CommunicationOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    client_id: str
    channel: Channel
    direction: Direction
    to_number: str | None = None
    from_number: str | None = None
    to_email: str | None = None
    from_email: str | None = None
    content: str
    html: str | None = None
    content_ref: ContentRef | None = None
    subject: str | None = None
    message_type: MessageType | None = None
    template_id: str | None = None
    campaign_id: str | None = None
    status: Status
    provider: Provider
    provider_id: str | None = None
    provider_status: str | None = Field(None, description="the provider's own status; `unknown` while an "
                                        "attempt's outcome is being settled")
    provider_response: dict[str, Any] | None = None
    cost: Decimal | None = None
    segments: int | None = None
    media_urls: list[str] | None = None
    attachments: list[AttachmentRef] | None = None
    error_message: str | None = None
    error_code: str | None = None
    retry_count: int | None = None
    metadata: dict[str, Any] | None = None
    user_id: str | None = None
    member_id: str | None = None
    sent_at: int | None = None
    delivered_at: int | None = None
    read_at: int | None = None
    clicked_at: int | None = None
    replied_at: int | None = None
    status_history: list[HistoryEntry] = []
    created_at: int
    updated_at: int
    version: int


CommunicationPage = page_of(CommunicationOut)


class CommunicationListQuery(PageQuery):
    status: Status | None = None
    channel: Channel | None = None
    direction: Direction | None = None


class MemberCommunicationsQuery(PageQuery):
    status: Status | None = None
    channel: Channel | None = None


class ChannelCommunicationsQuery(PageQuery):
    status: Status | None = None
    direction: Direction | None = None
