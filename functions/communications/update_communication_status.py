from shared.api import operation
from shared.communications import service
from shared.communications.models.changes import StatusUpdate
from shared.communications.models.communication import CommunicationOut


@operation("POST /communications/{id}/status", permission="communications:write", tenant="required",
           body=StatusUpdate, out=CommunicationOut, if_match=True)
def handler(req, body):
    """updateCommunicationStatus: forward only (a move back, or out of failed or bounced, is a 409)."""
    return service.update_status(req.scope, req.path["id"], body, req.if_match)
