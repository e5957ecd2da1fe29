from shared.api import operation
from shared.users import service
from shared.users.models.lists import UserListQuery, UserPage


@operation("GET /users", permission="users:read", query=UserListQuery, out=UserPage)
def handler(req):
    """getUsers: the tenant's users, newest first, filtered by status and role."""
    return service.list_users(req.scope, req.query)
