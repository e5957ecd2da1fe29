from shared.api import operation
from shared.users import reports
from shared.users.models.reports import UserStats
from shared.users.models.user import TenantQuery


@operation("GET /users/stats", role="manager", query=TenantQuery, out=UserStats)
def handler(req):
    """getUserStats: totals by status and role, verified, 2FA, active this month (one read)."""
    return reports.user_stats(req.actor, req.query.client_id)
