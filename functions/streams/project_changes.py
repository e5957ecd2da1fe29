from shared.api.triggers import stream_consumer
from shared.db import projections


@stream_consumer("projectChanges")
def handler(event, context):
    """Keep counters exact from the table's stream (each domain declares what it counts)."""
    return projections.process_batch(event["Records"])
