from shared.api import operation
from shared.benefits import service


@operation("DELETE /benefits/{id}", permission="benefits:write", tenant="required", status=204)
def handler(req):
    """deleteBenefit: soft delete; its grants can no longer be made or used."""
    service.delete_benefit(req.scope, req.path["id"], req.if_match)
