from shared.api import operation
from shared.users import service
from shared.users.models.user import TenantQuery


@operation("DELETE /users/{id}", role="admin", query=TenantQuery, status=204)
def handler(req):
    """deleteUser: soft delete; the email can be used again."""
    service.delete_user(req.actor, req.path["id"], req.query.client_id, req.if_match)
