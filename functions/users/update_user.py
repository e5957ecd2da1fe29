from shared.api import operation
from shared.users import service
from shared.users.models.changes import UserPatch
from shared.users.models.user import TenantQuery, UserOut


@operation("PATCH /users/{id}", role="user", body=UserPatch, query=TenantQuery, out=UserOut, heavy=True)
def handler(req, body):
    """updateUser: admins change their tenant's users; anyone changes their own profile and password."""
    return service.update_user(req.actor, req.path["id"], body, req.query.client_id, req.if_match)
