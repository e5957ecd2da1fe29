from shared.api import operation
from shared.core import rights
from shared.users import service
from shared.users.models.lists import UserListQuery, UserPage


@operation("GET /users/by-role/{role}", permission="users:read", path={"role": rights.ROLES}, query=UserListQuery, out=UserPage)
def handler(req):
    """getUsersByRole: the tenant's users with one role (an index query, not a filter)."""
    return service.list_users(req.scope, req.query, role=req.path["role"])
