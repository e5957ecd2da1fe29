from shared.api import operation
from shared.webhooks import endpoints
from shared.webhooks.models.endpoints import EndpointCreate, EndpointWithSecret


@operation("POST /webhook-endpoints", permission="webhooks:write", tenant="required", body=EndpointCreate,
           out=EndpointWithSecret, status=201)
def handler(req, body):
    """createWebhookEndpoint: a URL our events are delivered to; its signing secret is in this answer only."""
    return endpoints.create_endpoint(req.scope, body)
