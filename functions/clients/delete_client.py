from shared.api import operation
from shared.clients import service


@operation("DELETE /clients/{id}", permission="tenants:write", tenant="path", status=204)
def handler(req):
    """deleteClient: soft delete; the name can be used again; the tenant's logins stop."""
    service.delete_client(req.scope, req.path["id"], req.if_match)
