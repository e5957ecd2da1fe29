from shared.api import operation
from shared.settings import service
from shared.settings.models.reads import SettingListQuery, SettingPage


@operation("GET /settings", permission="settings:read", own=True, query=SettingListQuery, out=SettingPage)
def handler(req):
    """getSettings: the settings stored in one scope (type=system|client|user), in key order, by category."""
    return service.list_settings(req.scope, req.query)
