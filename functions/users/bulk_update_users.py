from shared.api import operation
from shared.api.bulk import BulkResults
from shared.users import service
from shared.users.models.changes import BulkUserUpdate


@operation("PATCH /users/bulk", role="admin", body=BulkUserUpdate, out=BulkResults, heavy=True)
def handler(req, body):
    """bulkUpdateUsers: up to 100 updates, each with its own result."""
    return service.bulk_update(req.actor, body)
