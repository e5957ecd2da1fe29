from shared.api import operation
from shared.members import insights
from shared.members.models.referrals import ReferralPage, ReferralsQuery


@operation("GET /members/{id}/referrals", permission="members:read", tenant="required", query=ReferralsQuery,
           out=ReferralPage)
def handler(req):
    """getMemberReferrals: the members this one referred, newest first, with their spend and the totals."""
    return insights.referrals(req.scope, req.path["id"], req.query)
