from shared.api import operation
from shared.core.bulk import BulkResults
from shared.users import service
from shared.users.models.changes import BulkUserUpdate


@operation("PATCH /users/bulk", permission="users:write", body=BulkUserUpdate, out=BulkResults, heavy=True, throttle=(10, 5))
def handler(req, body):
    """bulkUpdateUsers: up to 100 updates, each with its own result (and its own version)."""
    return service.bulk_update(req.scope, body, req.if_match)
