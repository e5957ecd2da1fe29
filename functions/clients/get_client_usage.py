from shared.api import operation
from shared.clients import insights
from shared.clients.models.reports import ClientUsage, UsageQuery


@operation("GET /clients/{id}/usage", permission="transactions:read", tenant="path", query=UsageQuery,
           out=ClientUsage)
def handler(req):
    """getClientUsage: messages and cost per channel this month against the monthly spend limit."""
    return insights.client_usage(req.scope, req.path["id"], req.query.month)
