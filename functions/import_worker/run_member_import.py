from shared.api.triggers import queue_consumer
from shared.members import import_worker


@queue_consumer("runMemberImport", queue="ImportQueue", batch_size=1)
def handler(event, context):
    """Import an uploaded members CSV in chunks, resuming from its checkpoint; started by the upload's S3 event."""
    return import_worker.handle(event, context)
