from shared.api import operation
from shared.settings import service
from shared.settings.models.reads import SettingsView, UserViewQuery


@operation("GET /settings/user", permission="settings:read", own=True, query=UserViewQuery, out=SettingsView)
def handler(req):
    """getUserSettings: a user's keys (default: the caller's) with their values in effect and sources."""
    return service.view(req.scope, "user", req.query.user_id)
