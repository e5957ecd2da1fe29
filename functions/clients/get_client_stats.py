from shared.api import operation
from shared.clients import insights
from shared.clients.models.reports import ClientStats


@operation("GET /clients/stats", permission="tenants:read", tenant="platform", out=ClientStats)
def handler(req):
    """getClientStats: live clients by status, tier and company size (one read)."""
    return insights.client_stats(req.scope)
