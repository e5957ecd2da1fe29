from shared.api import operation
from shared.communications import reports
from shared.communications.models.reports import CommunicationCosts, ReportQuery


@operation("GET /communications/costs", permission="communications:read", tenant="required", query=ReportQuery, out=CommunicationCosts)
def handler(req):
    """getCommunicationCosts: provider cost, segments and cost per message, overall and per channel (counters only)."""
    return reports.communication_costs(req.scope, req.query)
