from shared.api import operation
from shared.clients import service
from shared.clients.models.client import ClientGetQuery, ClientOut


@operation("GET /clients/{id}", permission="clients:read", tenant="path", query=ClientGetQuery, out=ClientOut)
def handler(req):
    """getClientById: the caller's own client (super_admin: any)."""
    return service.get_client(req.scope, req.path["id"], req.query.include_deleted)
