from shared.api import operation
from shared.communications import reports
from shared.communications.models.reports import ReportQuery, ResponseRates


@operation("GET /communications/response-rates", permission="communications:read", tenant="required", query=ReportQuery, out=ResponseRates)
def handler(req):
    """getResponseRates: replied / delivered and the inbound messages, overall and per channel (counters only)."""
    return reports.response_rates(req.scope, req.query)
