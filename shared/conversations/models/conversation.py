"""A conversation as the API shows it, and the queries of its reads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.conversations.models import CONVERSATION_SID_PATTERN, ConversationStatus
from shared.core.page_query import PageQuery, page_of


class ConversationOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    client_id: str
    member_id: str | None = Field(None, description="the member's id, when the conversation is with one")
    conversation_sid: str = Field(description="Twilio's sid of the conversation (CH...)")
    unique_name: str | None = Field(None, description="the tenant's own name, which made its create safe to retry")
    friendly_name: str | None = None
    status: ConversationStatus
    participant_count: int
    message_count: int
    last_message_at: int | None = None
    created_at: int
    updated_at: int
    version: int


ConversationPage = page_of(ConversationOut)


class ConversationListQuery(PageQuery):
    status: ConversationStatus | None = None


class ConversationSidQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_sid: str = Field(pattern=CONVERSATION_SID_PATTERN)
