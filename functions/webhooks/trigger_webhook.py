from shared.api import operation
from shared.webhooks import delivery
from shared.webhooks.models.endpoints import TriggerBody, TriggerOut


@operation("POST /webhooks/trigger", permission="webhooks:act", tenant="required", body=TriggerBody, out=TriggerOut,
           status=202)
def handler(req, body):
    """triggerWebhook: deliver an event to the tenant's enabled endpoints subscribed to its type, signed."""
    return delivery.trigger(req.scope, body)
