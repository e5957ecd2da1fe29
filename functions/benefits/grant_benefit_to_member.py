from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import MemberBenefitOut
from shared.benefits.models.changes import GrantBody


@operation("POST /members/{id}/benefits", permission="benefits:write", tenant="required", body=GrantBody,
           out=MemberBenefitOut, status=201)
def handler(req, body):
    """grantBenefitToMember: tier requirement enforced, no double grant, active benefits only."""
    return service.grant_benefit(req.scope, req.path["id"], body)
