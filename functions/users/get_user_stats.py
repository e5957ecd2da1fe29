from shared.api import operation
from shared.users import service
from shared.users.models import TenantQuery, UserStats


@operation("GET /users/stats", role="manager", query=TenantQuery, out=UserStats)
def handler(req):
    """getUserStats: totals by status and role, verified, 2FA, active this month (one read)."""
    return service.user_stats(req.actor, req.query.client_id)
