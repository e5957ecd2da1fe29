from shared.api.triggers import queue_consumer
from shared.messaging import sender


@queue_consumer("sendCommunications", queue="SendQueue", batch_size=10)
def handler(event, context):
    """Send queued communications, each message on its own: one provider attempt each, at most once."""
    return sender.handle(event, context)
