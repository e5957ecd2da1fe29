from shared.api import operation
from shared.webhooks import service
from shared.webhooks.models.events import WebhookOut, WebhookStatusChange


@operation("PATCH /webhooks/{id}", permission="webhooks:write", tenant="required", body=WebhookStatusChange,
           out=WebhookOut)
def handler(req, body):
    """updateWebhookStatus: settle a webhook by hand (processed, failed with why, received again)."""
    return service.update_status(req.scope, req.path["id"], body, req.if_match)
