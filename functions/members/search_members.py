from shared.api import operation
from shared.members import service
from shared.members.models.lists import MemberPage, MemberSearchQuery


@operation("GET /members/search", permission="members:read", tenant="required", query=MemberSearchQuery,
           out=MemberPage, throttle=(50, 20))
def handler(req):
    """searchMembers: prefix search on member_id, email, phone and names, ignoring case and accents."""
    return service.search_members(req.scope, req.query)
