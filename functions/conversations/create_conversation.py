from shared.api import operation
from shared.conversations import threads
from shared.conversations.models.changes import ConversationCreate
from shared.conversations.models.conversation import ConversationOut
from shared.errors import UPSTREAM


@operation("POST /conversations", permission="conversations:write", tenant="required", body=ConversationCreate,
           out=ConversationOut, status=201, raises=UPSTREAM)
def handler(req, body):
    """createConversation: created at Twilio, then recorded; retried with the same unique_name, never twice."""
    return threads.create_conversation(req.scope, body)
