from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import BenefitListQuery, BenefitPage


@operation("GET /benefits", permission="benefits:read", tenant="required", query=BenefitListQuery, out=BenefitPage)
def handler(req):
    """getBenefits: newest first, by status, type and tier requirement."""
    return service.list_benefits(req.scope, req.query)
