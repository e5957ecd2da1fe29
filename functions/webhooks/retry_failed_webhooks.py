from shared.api import operation
from shared.core.bulk import BulkResults
from shared.webhooks import service
from shared.webhooks.models.events import RetryFailed


@operation("POST /webhooks/failed/retry", permission="webhooks:act", tenant="required", body=RetryFailed,
           out=BulkResults, throttle=(5, 1))
def handler(req, body):
    """retryFailedWebhooks: apply the newest failed received events again, each with its own result."""
    return service.retry_failed(req.scope, body)
