"""Shapes of createCommunication, logSMS, logEmail, logMMS and updateCommunicationStatus."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.communications.models import Channel, Direction, MessageType, Status
from shared.formats import EMAIL_PATTERN
from shared.ids import ULID_PATTERN

Content = Field(min_length=1, max_length=10_000, description="the text (an email's plain-text body)")
Phone = Field(None, min_length=3, max_length=32, description="E.164, or a number in the tenant's default country")
Email = Field(None, max_length=254, pattern=EMAIL_PATTERN)
MediaUrls = Field(None, min_length=1, max_length=10, description="publicly reachable media (MMS), up to 10")


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    member_id: str | None = Field(None, pattern=ULID_PATTERN, description="the member it is to (or from)")
    content: str = Content
    message_type: MessageType | None = None
    template_id: str | None = Field(None, max_length=200)
    campaign_id: str | None = Field(None, pattern=ULID_PATTERN)
    metadata: dict[str, Any] | None = None


class CommunicationCreate(_Message):
    """A message to send: to the address given, else the member's phone or email. From the sender given,
    else the tenant's `sms.default_sender` / `email.default_from` setting."""

    channel: Channel
    to_number: str | None = Phone
    from_number: str | None = Phone
    to_email: str | None = Email
    from_email: str | None = Email
    subject: str | None = Field(None, min_length=1, max_length=998)
    media_urls: list[str] | None = MediaUrls
    message_type: MessageType = "transactional"


class _Logged(_Message):
    """A message sent or received elsewhere: recorded, never sent."""

    direction: Direction = "outbound"
    status: Status = "sent"
    provider_id: str | None = Field(None, max_length=100)
    cost: Decimal | None = Field(None, ge=0, le=1000, max_digits=10, decimal_places=5)
    sent_at: int | None = Field(None, ge=0, le=32503680000000, description="epoch milliseconds")


class SmsLog(_Logged):
    to_number: str = Field(min_length=3, max_length=32)
    from_number: str | None = Phone
    segments: int | None = Field(None, ge=1, le=100)


class MmsLog(SmsLog):
    media_urls: list[str] = Field(min_length=1, max_length=10)


class EmailLog(_Logged):
    to_email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    from_email: str | None = Email
    subject: str | None = Field(None, max_length=998)


class StatusUpdate(BaseModel):
    """A status reported by hand: forward only (queued → sent → delivered → read → clicked → replied;
    failed and bounced are final)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: Literal["sent", "delivered", "read", "clicked", "replied", "failed", "bounced"]
    provider_status: str | None = Field(None, max_length=64)
    error_code: str | None = Field(None, max_length=64)
    error_message: str | None = Field(None, max_length=1000)


class BulkCommunicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    communications: list[CommunicationCreate] = Field(min_length=1, max_length=100)


class BulkCreateResult(BaseModel):
    index: int = Field(description="the message's place in the request")
    id: str | None = Field(None, description="the communication written (none when refused)")
    status: int = Field(description="202 queued, or the refusal's status")
    error: dict[str, Any] | None = None


class BulkCreateResults(BaseModel):
    results: list[BulkCreateResult]
    succeeded: int
    failed: int
