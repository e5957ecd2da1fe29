from shared.api import operation
from shared.communications import service
from shared.communications.models.communication import CommunicationPage, MemberCommunicationsQuery


@operation("GET /members/{id}/communications", permission="communications:read", tenant="required",
           query=MemberCommunicationsQuery, out=CommunicationPage)
def handler(req):
    """getCommunicationsByMember: the member's messages, newest first, by status and channel."""
    return service.member_communications(req.scope, req.path["id"], req.query)
