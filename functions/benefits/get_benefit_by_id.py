from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import BenefitGetQuery, BenefitOut


@operation("GET /benefits/{id}", permission="benefits:read", tenant="required", query=BenefitGetQuery, out=BenefitOut)
def handler(req):
    """getBenefitById."""
    return service.get_benefit(req.scope, req.path["id"], req.query.include_deleted)
