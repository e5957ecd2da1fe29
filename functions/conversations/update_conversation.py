from shared.api import operation
from shared.conversations import threads
from shared.conversations.models.changes import ConversationPatch
from shared.conversations.models.conversation import ConversationOut
from shared.errors import UPSTREAM


@operation("PATCH /conversations/{id}", permission="conversations:write", tenant="required", body=ConversationPatch,
           out=ConversationOut, raises=UPSTREAM)
def handler(req, body):
    """updateConversation: friendly_name and status (active ⇄ inactive, then closed, which is final)."""
    return threads.update_conversation(req.scope, req.path["id"], body, req.if_match)
