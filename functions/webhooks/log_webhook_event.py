from shared.api import operation
from shared.webhooks import service
from shared.webhooks.models.events import WebhookLog, WebhookOut


@operation("POST /webhooks", permission="webhooks:write", tenant="required", body=WebhookLog, out=WebhookOut,
           status=201)
def handler(req, body):
    """logWebhookEvent: record a provider event received elsewhere (recorded, never applied)."""
    return service.log_event(req.scope, body)
