from shared.api.webhook import FORM, webhook
from shared.errors import Forbidden
from shared.messaging import callbacks
from shared.messaging.models.callbacks import TwilioConversationEvent


@webhook("POST /webhooks/twilio/conversations", accepts=(FORM,), body=TwilioConversationEvent, status=200,
         raises=(Forbidden,))
def handler(req, event: TwilioConversationEvent):
    """A Twilio Conversations onMessageAdded (X-Twilio-Signature checked): counted on its conversation once and,
    unless we posted it, an inbound communication of the conversation's member."""
    callbacks.twilio_conversation(req.url, req.form, req.headers)
