from shared.api import operation
from shared.members import insights
from shared.members.models.scores import ChurnRiskOut


@operation("GET /members/{id}/churn-risk", permission="members:read", tenant="required", out=ChurnRiskOut)
def handler(req):
    """calculateChurnRisk: 0..1 from recency, engagement trend, failed payments and opt-outs, each factor shown."""
    return insights.churn(req.scope, req.path["id"])
