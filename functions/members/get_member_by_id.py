from shared.api import operation
from shared.members import service
from shared.members.models.member import MemberGetQuery, MemberOut


@operation("GET /members/{id}", permission="members:read", tenant="required", query=MemberGetQuery, out=MemberOut)
def handler(req):
    """getMemberById."""
    return service.get_member(req.scope, req.path["id"], req.query.include_deleted)
