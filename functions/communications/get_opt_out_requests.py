from shared.api import operation
from shared.messaging import reports
from shared.messaging.models.reports import OptOutPage, ReportQuery


@operation("GET /communications/opt-outs", permission="communications:read", tenant="required", query=ReportQuery,
           out=OptOutPage)
def handler(req):
    """getOptOutRequests: the tenant's opt-outs (STOP keywords, unsubscribes, spam reports), newest first."""
    return reports.opt_out_requests(req.scope, req.query)
