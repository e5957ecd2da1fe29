from shared.api import operation
from shared.members import privacy
from shared.members.models.privacy import ErasureOut


@operation("POST /members/{id}/erase", permission="members:privacy", tenant="required", out=ErasureOut)
def handler(req):
    """eraseMember (GDPR art. 17, CCPA): personal data removed, counters kept, a keyed hash of email and phone."""
    return privacy.erase_member(req.scope, req.path["id"], req.if_match)
