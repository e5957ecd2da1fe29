from shared.api import operation
from shared.api.operation import LAMBDA_BODY_BYTES
from shared.communications import service
from shared.communications.models.changes import BulkCommunicationCreate, BulkCreateResults


@operation("POST /communications/bulk", permission="communications:write", tenant="required",
           body=BulkCommunicationCreate, out=BulkCreateResults, throttle=(20, 10), max_body=LAMBDA_BODY_BYTES)
def handler(req, body):
    """bulkCreateCommunications: up to 100 messages, each with its own result; queued in batches of 10."""
    return service.bulk_create(req.scope, body)
