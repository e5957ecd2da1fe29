from shared.api import operation
from shared.members import service
from shared.members.models.lists import MemberIdQuery
from shared.members.models.member import MemberOut


@operation("GET /members/by-member-id", permission="members:read", tenant="required", query=MemberIdQuery,
           out=MemberOut)
def handler(req):
    """getMemberByMemberId: the tenant's own identifier of the member."""
    return service.get_member_by_member_id(req.scope, req.query.member_id)
