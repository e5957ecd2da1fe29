from shared.api import operation
from shared.clients import exports
from shared.clients.models.exports import ExportJobOut


@operation("GET /clients/{id}/exports/{job_id}", permission="exports:read", tenant="path", out=ExportJobOut)
def handler(req):
    """getExportJob: status and progress; a pre-signed download URL once completed."""
    return exports.get(req.scope, req.path["id"], req.path["job_id"])
