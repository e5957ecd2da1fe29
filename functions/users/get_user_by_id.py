from shared.api import operation
from shared.users import service
from shared.users.models.user import UserOut


@operation("GET /users/{id}", permission="users:read", own=True, out=UserOut)
def handler(req):
    """getUserById: one user of the caller's tenant (a `user` may read only itself)."""
    return service.get_user(req.scope, req.path["id"])
