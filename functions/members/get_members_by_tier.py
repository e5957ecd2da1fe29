from shared.api import operation
from shared.members import service
from shared.members.models import TIERS
from shared.members.models.lists import MemberFilterQuery, MemberPage


@operation("GET /members/by-tier/{tier}", permission="members:read", tenant="required", path={"tier": TIERS},
           query=MemberFilterQuery, out=MemberPage)
def handler(req):
    """getMembersByTier: the tenant's members of one tier (GSI2), with getMembers' other filters."""
    return service.list_members(req.scope, req.query, tier=req.path["tier"])
