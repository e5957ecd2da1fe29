from shared.api import operation
from shared.clients import service
from shared.clients.models.changes import TierBody
from shared.clients.models.client import ClientOut


@operation("POST /clients/{id}/upgrade-tier", permission="tenants:write", tenant="path", body=TierBody,
           out=ClientOut)
def handler(req, body):
    """upgradeClientTier: upwards only, basic < premium < enterprise < custom."""
    return service.upgrade_tier(req.scope, req.path["id"], body.tier, req.if_match)
