from shared.api import operation
from shared.communications import reports
from shared.communications.models.reports import CommunicationStats, ReportQuery


@operation("GET /communications/stats", permission="communications:read", tenant="required", query=ReportQuery, out=CommunicationStats)
def handler(req):
    """getCommunicationStats: how many, by status, channel, direction and type, cost and segments (counters only)."""
    return reports.communication_stats(req.scope, req.query)
