from shared.api import operation
from shared.members import insights
from shared.members.models.member import MemberOut
from shared.members.models.tiers import TierChange


@operation("POST /members/{id}/tier", permission="members:act", tenant="required", body=TierChange, out=MemberOut,
           if_match=True)
def handler(req, body):
    """upgradeMemberTier: up for managers and admins, down for admins only; the reason is audited."""
    return insights.change_tier(req.scope, req.path["id"], body, req.if_match)
