from shared.api import operation
from shared.settings import service
from shared.settings.models.writes import KeyInScope


@operation("DELETE /settings/by-key", permission="settings:write", own=True, query=KeyInScope, status=204)
def handler(req):
    """deleteSetting: remove a scope's override of a key; the key inherits again."""
    service.delete_setting(req.scope, req.query, req.if_match)
