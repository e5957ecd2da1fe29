import json

from shared.api.webhook import JSON, webhook
from shared.errors import Forbidden, ValidationFailed
from shared.messaging import callbacks


@webhook("POST /webhooks/sendgrid/events", accepts=(JSON,), answers="application/json",
         raises=(Forbidden, ValidationFailed))
def handler(req):
    """SendGrid's event webhook (ECDSA signature and a fresh timestamp checked): each event stored once, then
    applied to its communication and consent."""
    return json.dumps(callbacks.sendgrid_events(req.body, req.headers))
