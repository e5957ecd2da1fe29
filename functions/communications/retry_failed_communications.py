from shared.api import operation
from shared.communications import service
from shared.communications.models.maintenance import RetryFailed
from shared.core.bulk import BulkResults


@operation("POST /communications/retry-failed", permission="communications:act", tenant="required",
           body=RetryFailed, out=BulkResults, throttle=(5, 1))
def handler(req, body):
    """retryFailedCommunications: queue the failures that spent their attempts on transient errors again."""
    return service.retry_failed(req.scope, body)
