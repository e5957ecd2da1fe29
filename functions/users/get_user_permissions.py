from shared.api import operation
from shared.users import reports
from shared.users.models.reports import Permissions


@operation("GET /users/{id}/permissions", permission="users:read", own=True, out=Permissions)
def handler(req):
    """getUserPermissions: role grants plus the user's extra `resource:action` grants."""
    return reports.user_permissions(req.scope, req.path["id"])
