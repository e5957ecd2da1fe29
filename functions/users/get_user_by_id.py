from shared.api import operation
from shared.users import service
from shared.users.models.user import TenantQuery, UserOut


@operation("GET /users/{id}", role="user", query=TenantQuery, out=UserOut)
def handler(req):
    """getUserById: one user of the caller's tenant (a `user` may read only itself)."""
    return service.get_user(req.actor, req.path["id"], req.query.client_id)
