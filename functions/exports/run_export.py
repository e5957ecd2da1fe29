from shared.api.triggers import queue_consumer
from shared.clients import export_worker


@queue_consumer("runExport", queue="ExportQueue", batch_size=1)
def handler(event, context):
    """Write one tenant's export to S3 as JSON Lines, part by part, resuming from its checkpoint."""
    return export_worker.handle(event, context)
