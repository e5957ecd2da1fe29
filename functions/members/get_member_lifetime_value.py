from shared.api import operation
from shared.members import insights
from shared.members.models.scores import LifetimeValueOut


@operation("GET /members/{id}/lifetime-value", permission="members:read", tenant="required", out=LifetimeValueOut)
def handler(req):
    """getMemberLifetimeValue: historical net spend plus a projection, with its factors and assumptions (stored)."""
    return insights.member_lifetime_value(req.scope, req.path["id"])
