from shared.api import operation
from shared.audit.models import ActivityPage
from shared.core.page_query import PageQuery
from shared.users import reports


@operation("GET /users/{id}/activity", permission="audit:read", own=True, query=PageQuery, out=ActivityPage)
def handler(req):
    """getUserActivity: what the user did, from the audit log, newest first."""
    return reports.user_activity(req.scope, req.path["id"], req.query)
