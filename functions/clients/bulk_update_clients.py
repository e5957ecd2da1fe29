from shared.api import operation
from shared.api.bulk import BulkResults
from shared.clients import service
from shared.clients.models.changes import BulkClientUpdate


@operation("PATCH /clients/bulk", role="admin", body=BulkClientUpdate, out=BulkResults)
def handler(req, body):
    """bulkUpdateClients: up to 100 updates, each with its own result."""
    return service.bulk_update(req.actor, body)
