from shared.api import operation
from shared.webhooks import service
from shared.webhooks.models.events import WebhookListQuery, WebhookPage


@operation("GET /webhooks/failed", permission="webhooks:read", tenant="required", query=WebhookListQuery,
           out=WebhookPage)
def handler(req):
    """getFailedWebhooks: received events that failed to apply, newest first (retryFailedWebhooks takes them)."""
    return service.failed(req.scope, req.query)
