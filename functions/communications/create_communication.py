from shared.api import operation
from shared.api.operation import LAMBDA_BODY_BYTES
from shared.communications import service
from shared.communications.models.changes import CommunicationCreate
from shared.communications.models.communication import CommunicationOut
from shared.errors import Unprocessable


@operation("POST /communications", permission="communications:write", tenant="required", body=CommunicationCreate,
           out=CommunicationOut, status=202, max_body=LAMBDA_BODY_BYTES, raises=(Unprocessable,))
def handler(req, body):
    """createCommunication: an sms, mms or email (with its attachments), written queued and queued for sending."""
    return service.create_communication(req.scope, body)
