from shared.api import operation
from shared.webhooks import service
from shared.webhooks.models.events import WebhookStats


@operation("GET /webhooks/stats", permission="webhooks:read", tenant="required", out=WebhookStats)
def handler(req):
    """getWebhookStats: by status, provider and event type (one read of a counter the stream keeps)."""
    return service.stats(req.scope)
