from shared.api import operation
from shared.settings import service
from shared.settings.models.reads import EffectiveSettingOut, KeyQuery


@operation("GET /settings/by-key", permission="settings:read", own=True, query=KeyQuery, out=EffectiveSettingOut)
def handler(req):
    """getSettingByKey: the value in effect (user, then client, then system, then the default) and its source."""
    return service.setting_by_key(req.scope, req.query)
