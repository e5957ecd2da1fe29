from shared.api.webhook import FORM, webhook
from shared.errors import Forbidden
from shared.messaging import callbacks
from shared.messaging.models.callbacks import TwilioInbound


@webhook("POST /webhooks/twilio/inbound", accepts=(FORM,), body=TwilioInbound, answers="application/xml",
         raises=(Forbidden,))
def handler(req, message: TwilioInbound):
    """An inbound SMS or MMS (X-Twilio-Signature checked): STOP / START keywords, HELP's answer (TwiML), or an
    inbound communication."""
    return callbacks.twilio_inbound(req.url, req.form, req.headers)
