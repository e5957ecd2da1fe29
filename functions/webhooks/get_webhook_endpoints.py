from shared.api import operation
from shared.webhooks import endpoints
from shared.webhooks.models.endpoints import EndpointListQuery, EndpointPage


@operation("GET /webhook-endpoints", permission="webhooks:read", tenant="required", query=EndpointListQuery,
           out=EndpointPage)
def handler(req):
    """getWebhookEndpoints: the tenant's endpoints, newest first (never their secrets)."""
    return endpoints.list_endpoints(req.scope, req.query)
