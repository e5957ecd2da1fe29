from shared.api import operation
from shared.core.bulk import BulkResults
from shared.settings import service
from shared.settings.models.writes import BulkSettingsUpdate


@operation("PATCH /settings/bulk", permission="settings:write", own=True, body=BulkSettingsUpdate, out=BulkResults,
           throttle=(10, 5))
def handler(req, body):
    """bulkUpdateSettings: up to 100 settings set, each with its own result (and its own version)."""
    return service.bulk_update(req.scope, body, req.if_match)
