"""Shapes of createCommunication, logSMS, logEmail, logMMS and updateCommunicationStatus."""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.communications.attachments import MAX_ATTACHMENTS, MAX_TOTAL_BYTES
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


BODY_CHARS = 1_000_000  # an email's text or html; past attachments.INLINE_BODY_BYTES it is stored in S3
_WHITESPACE = re.compile(r"\s+")


def decoded(content: str) -> bytes:
    """An attachment's base64 content as bytes (MIME line breaks allowed). Raises ValueError."""
    try:
        return base64.b64decode(_WHITESPACE.sub("", content), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64 (RFC 4648, standard alphabet, padded)") from None


class Attachment(BaseModel):
    """A file sent with an email: stored in S3 by createCommunication, referenced by the communication."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    filename: str = Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f]+$",
                          description="the name the recipient sees (no path)")
    type: str = Field(max_length=127, pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$",
                      description="its MIME type: application/pdf, image/png ...")
    content: str = Field(min_length=1, max_length=MAX_TOTAL_BYTES * 4 // 3 + 4, description="the file, base64")
    disposition: Literal["attachment", "inline"] = "attachment"
    content_id: str | None = Field(None, min_length=1, max_length=255, pattern=r"^[^\s<>]+$", validate_default=True,
                                   description="an inline file's id, as the html cites it (`cid:<content_id>`)")

    @field_validator("content")
    @classmethod
    def _base64(cls, value: str) -> str:
        decoded(value)
        return value

    @field_validator("content_id")
    @classmethod
    def _inline_needs_an_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("disposition") == "inline":
            raise ValueError("an inline attachment needs a content_id (its html cites cid:<content_id>)")
        return value


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
    content: str = Field(min_length=1, max_length=BODY_CHARS, description="the text (an email's plain-text "
                         "body); at most 10,000 characters but for an email")
    html: str | None = Field(None, min_length=1, max_length=BODY_CHARS, description="an email's html body")
    attachments: list[Attachment] | None = Field(
        None, min_length=1, max_length=MAX_ATTACHMENTS,
        description=f"an email's files, at most {MAX_ATTACHMENTS} and {MAX_TOTAL_BYTES // 2**20} MB decoded in all")

    @field_validator("attachments")
    @classmethod
    def _total_size(cls, value: list[Attachment] | None) -> list[Attachment] | None:
        if value and sum(len(decoded(a.content)) for a in value) > MAX_TOTAL_BYTES:
            raise ValueError(f"the attachments are over {MAX_TOTAL_BYTES // 2**20} MB decoded in all")
        return value


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
