from shared.api import operation
from shared.communications import data_export
from shared.communications.models.maintenance import ExportQuery
from shared.exports.models import ExportAccepted


@operation("POST /communications/export", permission="exports:act", tenant="required", query=ExportQuery,
           out=ExportAccepted, status=202, throttle=(5, 1))
def handler(req):
    """exportCommunications: starts a JSON Lines or CSV export of the tenant's communications; poll getExportJob."""
    return data_export.export_communications(req.scope, req.query)
