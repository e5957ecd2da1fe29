from shared.api import operation
from shared.members import service
from shared.members.models.changes import MemberCreate
from shared.members.models.member import MemberOut


@operation("POST /members", permission="members:write", tenant="required", body=MemberCreate, out=MemberOut,
           status=201)
def handler(req, body):
    """createMember: member_id, email and referral_code unique in the tenant."""
    return service.create_member(req.scope, body)
