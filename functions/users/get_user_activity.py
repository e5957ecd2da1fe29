from shared.api import operation
from shared.audit.models import ActivityPage
from shared.users import reports
from shared.users.models.activity import ActivityQuery


@operation("GET /users/{id}/activity", role="user", query=ActivityQuery, out=ActivityPage)
def handler(req):
    """getUserActivity: what the user did, from the audit log, newest first."""
    return reports.user_activity(req.actor, req.path["id"], req.query)
