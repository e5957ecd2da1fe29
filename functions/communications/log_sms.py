from shared.api import operation
from shared.communications import service
from shared.communications.models.changes import SmsLog
from shared.communications.models.communication import CommunicationOut


@operation("POST /communications/log-sms", permission="communications:log", tenant="required", body=SmsLog,
           out=CommunicationOut, status=201)
def handler(req, body):
    """logSMS: record a message sent or received elsewhere (it is not sent)."""
    return service.log_communication(req.scope, "sms", body, "logSMS")
