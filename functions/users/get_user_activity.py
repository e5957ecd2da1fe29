from shared.api import operation
from shared.users import service
from shared.users.models import ActivityPage, ActivityQuery


@operation("GET /users/{id}/activity", role="user", query=ActivityQuery, out=ActivityPage)
def handler(req):
    """getUserActivity: what the user did, from the audit log, newest first."""
    return service.user_activity(req.actor, req.path["id"], req.query)
