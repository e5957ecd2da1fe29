from shared.api import operation
from shared.members import reports
from shared.members.models.reports import MemberStats


@operation("GET /members/stats", permission="members:read", tenant="required", out=MemberStats)
def handler(req):
    """getMemberStats: totals, by status and tier, new, active, exact averages (one counter read)."""
    return reports.member_stats(req.scope)
