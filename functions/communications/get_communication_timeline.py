from shared.api import operation
from shared.communications import service
from shared.communications.models.maintenance import Timeline, TimelineQuery


@operation("GET /communications/timeline", permission="communications:read", tenant="required",
           query=TimelineQuery, out=Timeline)
def handler(req):
    """getCommunicationTimeline: a member's or a communication's events (status history, replies), oldest first."""
    return service.timeline(req.scope, req.query)
