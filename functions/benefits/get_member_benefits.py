from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import MemberBenefitListQuery, MemberBenefitPage


@operation("GET /members/{id}/benefits", permission="benefits:read", tenant="required", query=MemberBenefitListQuery,
           out=MemberBenefitPage)
def handler(req):
    """getMemberBenefits: the member's grants, newest first, by status (expired as soon as expires_at passes)."""
    return service.member_benefits(req.scope, req.path["id"], req.query)
