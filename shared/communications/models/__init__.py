"""Communication shapes, one module per kind of operation, so a handler builds only the pydantic models it
uses. This package file holds the field types they share (seed section 4)."""

from __future__ import annotations

from typing import Literal, get_args

Channel = Literal["sms", "mms", "email", "voice", "chat", "conversation", "push", "webhook"]
Direction = Literal["inbound", "outbound"]
MessageType = Literal["transactional", "marketing", "notification", "support"]
Status = Literal["queued", "sent", "delivered", "failed", "bounced", "read", "clicked", "replied"]
Provider = Literal["twilio", "sendgrid", "other"]
CHANNELS: tuple[str, ...] = get_args(Channel)
