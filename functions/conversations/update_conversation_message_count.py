from shared.api import operation
from shared.conversations import service
from shared.conversations.models.changes import MessageCountBody
from shared.conversations.models.conversation import ConversationOut


@operation("POST /conversations/{id}/message-count", permission="conversations:write", tenant="required",
           body=MessageCountBody, out=ConversationOut)
def handler(req, body):
    """updateConversationMessageCount: one message counted once by its sid, however often it is sent."""
    return service.count_message(req.scope, req.path["id"], body)
