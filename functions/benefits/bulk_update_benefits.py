from shared.api import operation
from shared.benefits import service
from shared.benefits.models.changes import BulkBenefitUpdate
from shared.core.bulk import BulkResults


@operation("PATCH /benefits/bulk", permission="benefits:write", tenant="required", body=BulkBenefitUpdate,
           out=BulkResults, throttle=(10, 5))
def handler(req, body):
    """bulkUpdateBenefits: up to 100 updates, each with its own result (and its own version)."""
    return service.bulk_update(req.scope, body, req.if_match)
