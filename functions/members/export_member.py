from shared.api import operation
from shared.members import privacy
from shared.members.models.privacy import MemberExport


@operation("GET /members/{id}/export", permission="members:privacy", tenant="required", out=MemberExport,
           throttle=(5, 1))
def handler(req):
    """exportMember (GDPR art. 15/20): everything held about one member, as JSON."""
    return privacy.export_member(req.scope, req.path["id"])
