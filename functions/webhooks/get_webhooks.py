from shared.api import operation
from shared.webhooks import service
from shared.webhooks.models.events import WebhookListQuery, WebhookPage


@operation("GET /webhooks", permission="webhooks:read", tenant="required", query=WebhookListQuery, out=WebhookPage)
def handler(req):
    """getWebhooks: the tenant's received and outbound webhooks, newest first; by status, by provider."""
    return service.list_webhooks(req.scope, req.query)
