"""Conversation reads and message counts (entities.md §13); creating and changing a conversation talks
to Twilio and lives in `shared.conversations.threads`, so these handlers load no provider code.

Every route declares `tenant="required"` (a super_admin names the tenant); another tenant's
conversation is simply not found there (404), by id or by sid.

Counting (updateConversationMessageCount, and the inbound callbacks through `record_message`): one
message adds 1 to message_count, its `participants_added` to participant_count, and moves
last_message_at forward to its time (never back: a late callback leaves a newer time in place), all
in the one conditional write that also claims its message sid. A retried or duplicated callback finds
the sid claimed and changes nothing: the answer is the conversation as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared import clock
from shared.conversations import store
from shared.core.paging import page
from shared.errors import Duplicate, NotFound

if TYPE_CHECKING:
    from shared.core.actor import Scope


def _view(conversation: store.Conversation) -> dict:
    return conversation.public()


def list_conversations(scope: Scope, q) -> dict:
    """getConversations: latest activity first, optionally of one status (one query either way)."""
    items, last = store.page(scope.tenant_required(), q.status, limit=q.limit, cursor=q.cursor)
    return page(items, last, _view)


def get_by_sid(scope: Scope, conversation_sid: str) -> dict:
    """getConversationBySid: another tenant's sid is not found (404 naming the parameter)."""
    found = store.by_sid(conversation_sid)
    if found is None or found.client_id != scope.tenant_required():
        raise NotFound("conversation not found", field="/query/conversation_sid")
    return found.public()


def find_by_sid(conversation_sid: str) -> dict | None:
    """The conversation this Twilio sid names, in whichever tenant (a provider callback knows only the sid);
    None when no conversation has it."""
    found = store.by_sid(conversation_sid)
    return None if found is None else found.public()


def count_message(scope: Scope, conversation_id: str, body) -> dict:
    """updateConversationMessageCount: the rules of the module docstring."""
    return record_message(scope.tenant_required(), conversation_id, body.message_sid,
                          participants_added=body.participants_added, sent_at=body.sent_at,
                          actor=scope.actor).public()


def record_message(tenant: str, conversation_id: str, message_sid: str, *, participants_added: int = 0,
                   sent_at: int | None = None, actor: Any = None,
                   operation: str = "updateConversationMessageCount") -> store.Conversation:
    """Count one message of the conversation, once per `message_sid`; returns the conversation after it."""
    at = sent_at if sent_at is not None else clock.now_ms()
    if store.counted(tenant, conversation_id, message_sid):
        return store.get(tenant, conversation_id)

    def counts(item: store.Conversation) -> dict:
        return {"message_count": int(item.message_count or 0) + 1,
                "participant_count": int(item.participant_count or 0) + participants_added,
                "last_message_at": max(int(item.last_message_at or 0), at)}

    try:
        return store.update(tenant, conversation_id, counts, actor=actor, operation=operation,
                            extra=lambda tx, item, changed: store.count_message(tx, item, message_sid))
    except Duplicate:  # a concurrent retry of the same callback counted it first
        return store.get(tenant, conversation_id)


def record_message_by_sid(conversation_sid: str, message_sid: str, *, participants_added: int = 0,
                          sent_at: int | None = None) -> store.Conversation | None:
    """Count a message that a provider callback names by Twilio's sids only (the tenant comes from the
    sid's claim); None when no conversation has that sid."""
    found = store.by_sid(conversation_sid)
    if found is None:
        return None
    return record_message(found.client_id, found.id, message_sid, participants_added=participants_added,
                          sent_at=sent_at, operation="conversationMessageReceived")
