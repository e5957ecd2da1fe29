from shared.api import operation
from shared.members import insights
from shared.members.models.scores import EngagementOut


@operation("POST /members/{id}/engagement", permission="members:act", tenant="required", out=EngagementOut,
           if_match=True)
def handler(req):
    """updateMemberEngagement: the engagement score (0..100) recomputed from its signals, stored, with its factors."""
    return insights.update_engagement(req.scope, req.path["id"], req.if_match)
