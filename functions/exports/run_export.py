from shared.api.triggers import queue_consumer
from shared.exports import worker


@queue_consumer("runExport", queue="ExportQueue", batch_size=1)
def handler(event, context):
    """Write one export (a whole tenant, or the kinds its job names) to S3 as JSON Lines, part by part,
    resuming from its checkpoint."""
    return worker.handle(event, context)
