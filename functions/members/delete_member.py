from shared.api import operation
from shared.members import service


@operation("DELETE /members/{id}", permission="members:write", tenant="required", status=204)
def handler(req):
    """deleteMember: soft delete; its member_id, email and referral code can be used again."""
    service.delete_member(req.scope, req.path["id"], req.if_match)
