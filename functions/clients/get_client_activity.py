from shared.api import operation
from shared.audit.models import ActivityPage
from shared.clients import service
from shared.clients.models.activity import ActivityQuery


@operation("GET /clients/{id}/activity", permission="audit:read", own=True, tenant="path",
           query=ActivityQuery, out=ActivityPage)
def handler(req):
    """getClientActivity: the tenant's audit log, newest first (a user sees its own entries)."""
    return service.client_activity(req.scope, req.path["id"], req.query)
