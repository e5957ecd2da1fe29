from shared.api import operation
from shared.benefits import service
from shared.benefits.models.reports import BenefitUsage


@operation("GET /benefits/{id}/usage", permission="benefits:read", tenant="required", out=BenefitUsage)
def handler(req):
    """getBenefitUsage: grants, active, uses, expired and remaining redemptions (two reads)."""
    return service.usage(req.scope, req.path["id"])
