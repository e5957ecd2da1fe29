from shared.api import operation
from shared.communications import reports
from shared.communications.models.reports import EngagementMetrics, ReportQuery


@operation("GET /communications/engagement", permission="communications:read", tenant="required", query=ReportQuery, out=EngagementMetrics)
def handler(req):
    """getEngagementMetrics: opened, clicked and replied over delivered, overall and per channel (counters only)."""
    return reports.engagement_metrics(req.scope, req.query)
