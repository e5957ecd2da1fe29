from shared.api import operation
from shared.benefits import service
from shared.benefits.models import TIERS
from shared.benefits.models.benefit import BenefitPage, BenefitsByTierQuery


@operation("GET /benefits/by-tier/{tier}", permission="benefits:read", tenant="required", path={"tier": TIERS},
           query=BenefitsByTierQuery, out=BenefitPage)
def handler(req):
    """getBenefitsByTier: the active benefits available to a member of this tier (its own or a lower requirement, or none)."""
    return service.benefits_by_tier(req.scope, req.path["tier"], req.query)
