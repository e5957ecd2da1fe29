from shared.api import operation
from shared.clients import service
from shared.clients.models.changes import BulkClientUpdate
from shared.core.bulk import BulkResults


@operation("PATCH /clients/bulk", permission="clients:write", tenant="platform", body=BulkClientUpdate, out=BulkResults, throttle=(10, 5))
def handler(req, body):
    """bulkUpdateClients: up to 100 updates, each with its own result (and its own version)."""
    return service.bulk_update(req.scope, body, req.if_match)
