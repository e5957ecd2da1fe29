from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import MemberBenefitOut


@operation("POST /members/{id}/benefits/{benefit_id}/use", permission="benefits:act", tenant="required",
           out=MemberBenefitOut)
def handler(req):
    """useMemberBenefit: once, before it expires, within the benefit's max_redemptions."""
    return service.use_benefit(req.scope, req.path["id"], req.path["benefit_id"])
