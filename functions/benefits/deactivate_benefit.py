from shared.api import operation
from shared.benefits import service
from shared.benefits.models.benefit import BenefitOut


@operation("POST /benefits/{id}/deactivate", permission="benefits:act", tenant="required", out=BenefitOut)
def handler(req):
    """deactivateBenefit: no new grants and no uses until it is activated again."""
    return service.set_status(req.scope, req.path["id"], "inactive", req.if_match)
