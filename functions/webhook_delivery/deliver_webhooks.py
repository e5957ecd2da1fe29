from shared.api.triggers import queue_consumer
from shared.webhooks import delivery


@queue_consumer("deliverWebhooks", queue="WebhookQueue")
def handler(event, context):
    """Deliver queued outbound webhooks, signed (Standard Webhooks); retries re-queue with a delay."""
    return delivery.handle(event, context)
