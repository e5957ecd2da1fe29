from shared.api import operation
from shared.communications import service
from shared.communications.models.changes import MmsLog
from shared.communications.models.communication import CommunicationOut


@operation("POST /communications/log-mms", permission="communications:log", tenant="required", body=MmsLog,
           out=CommunicationOut, status=201)
def handler(req, body):
    """logMMS: record a message sent or received elsewhere (it is not sent)."""
    return service.log_communication(req.scope, "mms", body, "logMMS")
