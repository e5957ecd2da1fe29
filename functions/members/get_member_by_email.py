from shared.api import operation
from shared.members import service
from shared.members.models.lists import MemberEmailQuery
from shared.members.models.member import MemberOut


@operation("GET /members/by-email", permission="members:read", tenant="required", query=MemberEmailQuery,
           out=MemberOut)
def handler(req):
    """getMemberByEmail: case-insensitive; another tenant's member is not found."""
    return service.get_member_by_email(req.scope, req.query.email)
