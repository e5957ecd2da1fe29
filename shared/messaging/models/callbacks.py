"""The fields of the provider callbacks we read (Twilio's form fields, as Twilio spells them); the rest of
what a provider sends is kept in the stored event, unread."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SID = r"^[A-Z]{2}[0-9a-f]{32}$"


class _Callback(BaseModel):
    # Each callback function reads one of these: built when first used, so a function does not build
    # the other two at its cold start (a few ms each).
    model_config = ConfigDict(defer_build=True)


class TwilioStatus(_Callback):
    """A message status callback."""

    MessageSid: str = Field(pattern=SID)
    MessageStatus: str = Field(min_length=1, max_length=20)
    ErrorCode: str | None = Field(None, max_length=10)


class TwilioInbound(_Callback):
    """An inbound message."""

    MessageSid: str = Field(pattern=SID)
    From: str = Field(min_length=1, max_length=64)
    To: str = Field(min_length=1, max_length=64)
    Body: str = Field("", max_length=1600)
    NumMedia: int = Field(0, ge=0, le=10)
    OptOutType: str | None = Field(None, max_length=10)


class TwilioConversationEvent(_Callback):
    """A Conversations post-event webhook (onMessageAdded: a message added to a conversation)."""

    EventType: str = Field(min_length=1, max_length=40)
    ConversationSid: str = Field(pattern=r"^CH[0-9a-f]{32}$")
    MessageSid: str = Field(pattern=r"^IM[0-9a-f]{32}$")
    Author: str = Field("", max_length=256)
    Body: str = Field("", max_length=32768)  # a Conversations message holds up to 32 KB
    DateCreated: AwareDatetime
    ParticipantSid: str = Field("", pattern=r"^([A-Z]{2}[0-9a-f]{32})?$")  # none: posted through the API
    Index: int = Field(0, ge=0)
    Attributes: str = Field("{}", max_length=16384)  # JSON text, as the message carries it

