from shared.api import operation
from shared.settings import service
from shared.settings.catalogue import CATEGORIES
from shared.settings.models.reads import SettingsView, ViewQuery


@operation("GET /settings/by-category/{category}", permission="settings:read", own=True,
           path={"category": CATEGORIES}, query=ViewQuery, out=SettingsView)
def handler(req):
    """getSettingsByCategory: one category's keys with their values in effect (default: as they apply to the caller)."""
    return service.view(req.scope, req.query.type, req.query.user_id, req.path["category"])
