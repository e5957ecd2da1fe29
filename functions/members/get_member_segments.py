from shared.api import operation
from shared.members import reports
from shared.members.models.reports import MemberSegments


@operation("GET /members/segments", permission="members:read", tenant="required", out=MemberSegments)
def handler(req):
    """getMemberSegments: members per tier, status, engagement band, spend band, acquisition channel."""
    return reports.member_segments(req.scope)
