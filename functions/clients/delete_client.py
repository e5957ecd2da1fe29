from shared.api import operation
from shared.clients import service


@operation("DELETE /clients/{id}", role="super_admin", status=204)
def handler(req):
    """deleteClient: soft delete; the name can be used again; the tenant's logins stop."""
    service.delete_client(req.actor, req.path["id"], req.if_match)
