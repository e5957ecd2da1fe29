from shared.api import operation
from shared.webhooks import endpoints
from shared.webhooks.models.endpoints import EndpointChanged, EndpointPatch


@operation("PATCH /webhook-endpoints/{id}", permission="webhooks:write", tenant="required", body=EndpointPatch,
           out=EndpointChanged)
def handler(req, body):
    """updateWebhookEndpoint: URL, event types, enabled; `rotate_secret: true` answers a new signing secret."""
    return endpoints.update_endpoint(req.scope, req.path["id"], body, req.if_match)
