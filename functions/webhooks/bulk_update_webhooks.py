from shared.api import operation
from shared.core.bulk import BulkResults
from shared.webhooks import service
from shared.webhooks.models.events import BulkWebhookUpdate


@operation("PATCH /webhooks/bulk", permission="webhooks:write", tenant="required", body=BulkWebhookUpdate,
           out=BulkResults, throttle=(10, 5))
def handler(req, body):
    """bulkUpdateWebhooks: up to 100 status changes, each with its own result (and its own version)."""
    return service.bulk_update(req.scope, body, req.if_match)
