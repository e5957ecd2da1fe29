from shared.api import operation
from shared.users import service
from shared.users.models.changes import UserPatch
from shared.users.models.user import UserOut


@operation("PATCH /users/{id}", permission="users:write", own=True, body=UserPatch, out=UserOut, heavy=True)
def handler(req, body):
    """updateUser: admins change their tenant's users; anyone changes their own profile and password."""
    return service.update_user(req.scope, req.path["id"], body, req.if_match)
