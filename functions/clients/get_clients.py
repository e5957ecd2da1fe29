from shared.api import operation
from shared.clients import service
from shared.clients.models.lists import ClientListQuery, ClientPage


@operation("GET /clients", permission="clients:read", tenant="platform", query=ClientListQuery,
           out=ClientPage)
def handler(req):
    """getClients: super_admin lists every tenant (newest first); anyone else sees its own client."""
    return service.list_clients(req.scope, req.query)
