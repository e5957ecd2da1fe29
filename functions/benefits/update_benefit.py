from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import BenefitOut
from shared.benefits.models.changes import BenefitPatch


@operation("PATCH /benefits/{id}", permission="benefits:write", tenant="required", body=BenefitPatch, out=BenefitOut)
def handler(req, body):
    """updateBenefit: max_redemptions never below the uses already made."""
    return service.update_benefit(req.scope, req.path["id"], body, req.if_match)
