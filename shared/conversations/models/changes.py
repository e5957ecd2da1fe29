"""Shapes of createConversation, updateConversation and updateConversationMessageCount."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.conversations.models import MESSAGE_SID_PATTERN, UNIQUE_NAME_PATTERN, ConversationStatus
from shared.ids import ULID_PATTERN


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    friendly_name: str | None = Field(None, min_length=1, max_length=256)
    member_id: str | None = Field(None, pattern=ULID_PATTERN, description="a member of the tenant (its id)")
    unique_name: str | None = Field(None, pattern=UNIQUE_NAME_PATTERN, description=(
        "the tenant's own name of it (an order number, say): a create retried with the same name never makes "
        "a second conversation (409 once it is recorded)"))


class ConversationPatch(BaseModel):
    """Status: active ⇄ inactive, either → closed; closed is final (409)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    friendly_name: str | None = Field(None, min_length=1, max_length=256)
    status: ConversationStatus | None = None


class MessageCountBody(BaseModel):
    """One message of the conversation, counted once by its sid whatever the retries."""

    model_config = ConfigDict(extra="forbid")

    message_sid: str = Field(pattern=MESSAGE_SID_PATTERN, description="Twilio's sid of the message")
    participants_added: int = Field(0, ge=0, le=1000, description="participants that joined with it")
    sent_at: int | None = Field(None, ge=0, le=32503680000000, description=(
        "when it was sent (epoch ms; default now): last_message_at only ever moves forward"))
