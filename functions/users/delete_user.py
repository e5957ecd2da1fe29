from shared.api import operation
from shared.users import service


@operation("DELETE /users/{id}", permission="users:write", status=204)
def handler(req):
    """deleteUser: soft delete; the email can be used again."""
    service.delete_user(req.scope, req.path["id"], req.if_match)
