from shared.api.triggers import stream_consumer
from shared.clients import projections as _clients  # noqa: F401 - registers the clients' counters
from shared.db import projections
from shared.users import projections as _users  # noqa: F401 - registers the users' counters


@stream_consumer("projectChanges")
def handler(event, context):
    """Keep counters exact from the table's stream (each domain registers what it counts)."""
    return projections.process_batch(event["Records"])
