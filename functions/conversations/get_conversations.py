from shared.api import operation
from shared.conversations import service
from shared.conversations.models.conversation import ConversationListQuery, ConversationPage


@operation("GET /conversations", permission="conversations:read", tenant="required", query=ConversationListQuery,
           out=ConversationPage)
def handler(req):
    """getConversations: latest activity first, by status."""
    return service.list_conversations(req.scope, req.query)
