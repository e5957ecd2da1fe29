from shared.api.triggers import scheduled
from shared.messaging import sender


@scheduled("requeueParkedSends", "rate(1 minute)")
def handler(event, context):
    """requeueParkedSends: queue again the sends parked past SQS's 15-minute delay (quiet hours) once due."""
    return {"requeued": sender.sweep_parked()}
