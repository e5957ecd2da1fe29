from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import BenefitOut
from shared.benefits.models.changes import BenefitCreate


@operation("POST /benefits", permission="benefits:write", tenant="required", body=BenefitCreate, out=BenefitOut,
           status=201)
def handler(req, body):
    """createBenefit: a tier perk, active from the start."""
    return service.create_benefit(req.scope, body)
