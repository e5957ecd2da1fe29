from shared.api import operation
from shared.clients import service
from shared.clients.models.lists import ClientPage, ClientSearchQuery


@operation("GET /clients/search", permission="tenants:read", tenant="platform", query=ClientSearchQuery,
           out=ClientPage, throttle=(50, 20))
def handler(req):
    """searchClients: prefix search on name and email, ignoring case and accents."""
    return service.search_clients(req.scope, req.query)
