from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import BenefitOut


@operation("POST /benefits/{id}/activate", permission="benefits:act", tenant="required", out=BenefitOut)
def handler(req):
    """activateBenefit: it may be granted and used again."""
    return service.set_status(req.scope, req.path["id"], "active", req.if_match)
