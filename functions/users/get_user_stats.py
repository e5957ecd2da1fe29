from shared.api import operation
from shared.users import reports
from shared.users.models.reports import UserStats


@operation("GET /users/stats", permission="users:read", out=UserStats)
def handler(req):
    """getUserStats: totals by status and role, verified, 2FA, active this month (one read)."""
    return reports.user_stats(req.scope)
