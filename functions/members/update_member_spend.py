from shared.api import operation
from shared.members import insights
from shared.members.models.spend import SpendIn, SpendOut


@operation("POST /members/{id}/spend", permission="members:write", tenant="required", body=SpendIn, out=SpendOut,
           if_match=True)
def handler(req, body):
    """updateMemberSpend: records a purchase or refund (a retry with the same reference changes nothing)."""
    return insights.record_spend(req.scope, req.path["id"], body.amount, kind=body.kind, at=body.at,
                                 reference=body.reference, expected_version=req.if_match)
