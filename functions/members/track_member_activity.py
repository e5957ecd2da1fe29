from shared.api import operation
from shared.members import insights
from shared.members.models.activity import ActivityIn, ActivityOut


@operation("POST /members/{id}/activity", permission="members:track", tenant="required", body=ActivityIn,
           out=ActivityOut, status=201, if_match=True)
def handler(req, body):
    """trackMemberActivity: appends an activity event; last_active moves forward only."""
    return insights.track_activity(req.scope, req.path["id"], body, req.if_match)
