"""Conversation shapes, one module per kind of operation, so a handler builds only the pydantic models
it uses. This package file holds the field types they share (entities.md §13)."""

from __future__ import annotations

from typing import Literal

ConversationStatus = Literal["active", "inactive", "closed"]
# A tenant's own name of a conversation: it goes into Twilio's unique_name and a URL path there.
UNIQUE_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
# A message Twilio counts in a conversation: a Conversations message (IM...) or an SMS/MMS (SM/MM...).
MESSAGE_SID_PATTERN = "^(IM|SM|MM)[0-9a-f]{32}$"
CONVERSATION_SID_PATTERN = "^CH[0-9a-f]{32}$"
