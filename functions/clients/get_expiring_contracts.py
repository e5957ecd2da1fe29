from shared.api import operation
from shared.clients import service
from shared.clients.models.lists import ClientPage, ExpiringQuery


@operation("GET /clients/expiring-contracts", role="super_admin", query=ExpiringQuery, out=ClientPage)
def handler(req):
    """getExpiringContracts: contracts ending within `days` (default 30), soonest first."""
    return service.expiring_contracts(req.actor, req.query)
