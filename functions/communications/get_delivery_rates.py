from shared.api import operation
from shared.communications import reports
from shared.communications.models.reports import DeliveryRates, ReportQuery


@operation("GET /communications/delivery-rates", permission="communications:read", tenant="required", query=ReportQuery, out=DeliveryRates)
def handler(req):
    """getDeliveryRates: delivered, bounced and failed over sent, overall and per channel (counters only)."""
    return reports.delivery_rates(req.scope, req.query)
