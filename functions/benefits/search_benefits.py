from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import BenefitPage, BenefitSearchQuery


@operation("GET /benefits/search", permission="benefits:read", tenant="required", query=BenefitSearchQuery,
           out=BenefitPage, throttle=(50, 20))
def handler(req):
    """searchBenefits: prefix search on name and description, ignoring case and accents."""
    return service.search_benefits(req.scope, req.query)
