from shared.api import operation
from shared.audit.models import ActivityPage
from shared.clients import service
from shared.clients.models.activity import ActivityQuery


@operation("GET /clients/{id}/activity", role="user", query=ActivityQuery, out=ActivityPage)
def handler(req):
    """getClientActivity: the tenant's audit log, newest first (a user sees its own entries)."""
    return service.client_activity(req.actor, req.path["id"], req.query)
