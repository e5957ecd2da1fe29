from shared.api import operation
from shared.exports import service as exports
from shared.exports.models import ExportJobOut


@operation("GET /clients/{id}/exports/{job_id}", permission="exports:read", tenant="path", out=ExportJobOut)
def handler(req):
    """getExportJob: status and progress of any export of the tenant; a pre-signed download URL once completed."""
    return exports.get(req.scope, req.path["id"], req.path["job_id"])
