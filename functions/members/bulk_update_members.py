from shared.api import operation
from shared.core.bulk import BulkResults
from shared.members import service
from shared.members.models.changes import BulkMemberUpdate


@operation("PATCH /members/bulk", permission="members:write", tenant="required", body=BulkMemberUpdate,
           out=BulkResults, heavy=True, throttle=(10, 5))
def handler(req, body):
    """bulkUpdateMembers: up to 100 updates, each with its own result (and its own version)."""
    return service.bulk_update(req.scope, body, req.if_match)
