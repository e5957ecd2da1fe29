from shared.api import operation
from shared.members import service
from shared.members.models.lists import MemberListQuery, MemberPage


@operation("GET /members", permission="members:read", tenant="required", query=MemberListQuery, out=MemberPage)
def handler(req):
    """getMembers: newest first, filtered by tier, status, engagement band, last_active range,
    acquisition channel and tag, each read by index."""
    return service.list_members(req.scope, req.query)
