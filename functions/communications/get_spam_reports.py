from shared.api import operation
from shared.messaging import reports
from shared.messaging.models.reports import ReportQuery
from shared.webhooks.models.events import WebhookPage


@operation("GET /communications/spam-reports", permission="communications:read", tenant="required",
           query=ReportQuery, out=WebhookPage)
def handler(req):
    """getSpamReports: SendGrid spam reports received, newest first."""
    return reports.spam_reports(req.scope, req.query)
