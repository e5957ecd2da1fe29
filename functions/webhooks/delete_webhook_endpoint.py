from shared.api import operation
from shared.webhooks import endpoints


@operation("DELETE /webhook-endpoints/{id}", permission="webhooks:write", tenant="required", status=204)
def handler(req):
    """deleteWebhookEndpoint: soft delete; its queued deliveries fail instead of going out."""
    endpoints.delete_endpoint(req.scope, req.path["id"], req.if_match)
