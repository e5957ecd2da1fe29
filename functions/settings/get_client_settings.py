from shared.api import operation
from shared.settings import service
from shared.settings.models.reads import SettingsView


@operation("GET /settings/client", permission="settings:read", out=SettingsView)
def handler(req):
    """getClientSettings: every tenant-scope key with its value in effect and where it comes from."""
    return service.view(req.scope, "client")
