from shared.api import operation
from shared.clients import data_export
from shared.exports.models import ExportAccepted


@operation("POST /clients/{id}/export", permission="exports:act", tenant="path", out=ExportAccepted,
           status=202, throttle=(5, 1))
def handler(req):
    """exportClientData: starts a JSON Lines export of the tenant's data; poll the job for the file."""
    return data_export.export_data(req.scope, req.path["id"])
