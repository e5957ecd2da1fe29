from shared.api import operation
from shared.communications import service
from shared.communications.models.changes import EmailLog
from shared.communications.models.communication import CommunicationOut


@operation("POST /communications/log-email", permission="communications:log", tenant="required", body=EmailLog,
           out=CommunicationOut, status=201)
def handler(req, body):
    """logEmail: record a message sent or received elsewhere (it is not sent)."""
    return service.log_communication(req.scope, "email", body, "logEmail")
