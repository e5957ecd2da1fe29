from shared.api import operation
from shared.clients import service
from shared.clients.models import TIERS
from shared.clients.models.lists import ClientListQuery, ClientPage


@operation("GET /clients/by-tier/{tier}", permission="tenants:read", tenant="platform", path={"tier": TIERS},
           query=ClientListQuery, out=ClientPage)
def handler(req):
    """getClientsByTier: the clients of one subscription tier (an index query, not a filter)."""
    return service.list_clients(req.scope, req.query, tier=req.path["tier"])
