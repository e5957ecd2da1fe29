from shared.api import operation
from shared.users import service
from shared.users.models import Permissions, TenantQuery


@operation("GET /users/{id}/permissions", role="user", query=TenantQuery, out=Permissions)
def handler(req):
    """getUserPermissions: role grants plus the user's extra `resource:action` grants."""
    return service.user_permissions(req.actor, req.path["id"], req.query.client_id)
