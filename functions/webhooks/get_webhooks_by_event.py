from shared.api import operation
from shared.webhooks import service
from shared.webhooks.models.events import WebhookPage, WebhooksByEventQuery


@operation("GET /webhooks/by-event", permission="webhooks:read", tenant="required", query=WebhooksByEventQuery,
           out=WebhookPage)
def handler(req):
    """getWebhooksByEvent: the webhooks of one event type, newest first."""
    return service.by_event(req.scope, req.query)
