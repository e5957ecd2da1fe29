from shared.api import operation
from shared.clients import service
from shared.clients.models.client import ClientGetQuery, ClientOut


@operation("GET /clients/{id}", role="user", query=ClientGetQuery, out=ClientOut)
def handler(req):
    """getClientById: the caller's own client (super_admin: any)."""
    return service.get_client(req.actor, req.path["id"], req.query.include_deleted)
