from shared.api import operation
from shared.clients import service
from shared.clients.models.lists import ClientPage, ExpiringQuery


@operation("GET /clients/expiring-contracts", permission="tenants:read", tenant="platform",
           query=ExpiringQuery, out=ClientPage)
def handler(req):
    """getExpiringContracts: contracts ending within `days` (default 30), soonest first."""
    return service.expiring_contracts(req.scope, req.query)
