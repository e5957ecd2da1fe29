from shared.api.webhook import FORM, webhook
from shared.errors import Forbidden
from shared.messaging import callbacks
from shared.messaging.models.callbacks import TwilioStatus


@webhook("POST /webhooks/twilio/status", accepts=(FORM,), body=TwilioStatus, raises=(Forbidden,))
def handler(req, status: TwilioStatus):
    """Twilio's message status callback (X-Twilio-Signature checked): moves the communication forward, once."""
    callbacks.twilio_status(req.url, req.form, req.headers)
