from shared.api import operation
from shared.users import reports
from shared.users.models.reports import Permissions
from shared.users.models.user import TenantQuery


@operation("GET /users/{id}/permissions", role="user", query=TenantQuery, out=Permissions)
def handler(req):
    """getUserPermissions: role grants plus the user's extra `resource:action` grants."""
    return reports.user_permissions(req.actor, req.path["id"], req.query.client_id)
