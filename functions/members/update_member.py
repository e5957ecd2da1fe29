from shared.api import operation
from shared.members import service
from shared.members.models.changes import MemberPatch
from shared.members.models.member import MemberOut


@operation("PATCH /members/{id}", permission="members:write", tenant="required", body=MemberPatch, out=MemberOut)
def handler(req, body):
    """updateMember: If-Match honoured; member_id, email and referral code stay unique."""
    return service.update_member(req.scope, req.path["id"], body, req.if_match)
