from shared.api import operation
from shared.conversations import service
from shared.conversations.models.conversation import ConversationOut, ConversationSidQuery


@operation("GET /conversations/by-sid", permission="conversations:read", tenant="required",
           query=ConversationSidQuery, out=ConversationOut)
def handler(req):
    """getConversationBySid: by Twilio's sid (CH...); another tenant's is not found."""
    return service.get_by_sid(req.scope, req.query.conversation_sid)
