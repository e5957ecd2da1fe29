from shared.api import operation
from shared.communications import service
from shared.communications.models.communication import CommunicationOut


@operation("GET /communications/{id}", permission="communications:read", tenant="required", out=CommunicationOut)
def handler(req):
    """getCommunicationById: with its status history."""
    return service.get_communication(req.scope, req.path["id"])
