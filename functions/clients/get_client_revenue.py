from shared.api import operation
from shared.clients import insights
from shared.clients.models.reports import ClientRevenue, RevenueQuery


@operation("GET /clients/{id}/revenue", permission="transactions:read", tenant="path", query=RevenueQuery,
           out=ClientRevenue)
def handler(req):
    """getClientRevenue: completed transactions net of refunds, by month and currency (O(1) reads)."""
    return insights.client_revenue(req.scope, req.path["id"], req.query.months)
