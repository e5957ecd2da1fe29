from shared.api import operation
from shared.settings import service
from shared.settings.models.writes import ResetOut, ResetSettings


@operation("POST /settings/reset", permission="settings:write", own=True, body=ResetSettings, out=ResetOut)
def handler(req, body):
    """resetSettingsToDefault: remove a scope's overrides (all, or the keys named), each audited."""
    return service.reset_to_default(req.scope, body)
