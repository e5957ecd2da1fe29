from shared.api import operation
from shared.communications import service
from shared.communications.models.communication import CommunicationListQuery, CommunicationPage


@operation("GET /communications", permission="communications:read", tenant="required", query=CommunicationListQuery,
           out=CommunicationPage)
def handler(req):
    """getCommunications: newest first, by status, channel and direction."""
    return service.list_communications(req.scope, req.query)
