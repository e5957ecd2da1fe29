from shared.api import operation
from shared.clients import exports
from shared.clients.models.exports import ExportAccepted


@operation("POST /clients/{id}/export", role="admin", out=ExportAccepted, status=202)
def handler(req):
    """exportClientData: starts a JSON Lines export of the tenant's data; poll the job for the file."""
    return exports.start(req.actor, req.path["id"])
