from shared.api import operation
from shared.settings import service
from shared.settings.models.reads import SettingOut
from shared.settings.models.writes import SettingWrite


@operation("PUT /settings", permission="settings:write", own=True, body=SettingWrite, out=SettingOut)
def handler(req, body):
    """setSetting: create or replace one setting in a scope, its value checked against the key's type."""
    return service.set_setting(req.scope, body, req.if_match)
