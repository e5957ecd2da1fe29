from shared.api import operation
from shared.settings import service
from shared.settings.models.reads import SettingsView


@operation("GET /settings/system", permission="settings:read:system", tenant="platform", out=SettingsView)
def handler(req):
    """getSystemSettings: every system-scope key with its value in effect (the platform's, or the default)."""
    return service.view(req.scope, "system")
