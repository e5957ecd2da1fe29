from shared.api import operation
from shared.members import insights
from shared.members.models.scores import RecommendationsOut


@operation("GET /members/{id}/recommendations", permission="members:read", tenant="required", out=RecommendationsOut)
def handler(req):
    """getMemberRecommendations: the next tier and eligible benefits, ranked, each with its reason."""
    return insights.recommendations(req.scope, req.path["id"])
