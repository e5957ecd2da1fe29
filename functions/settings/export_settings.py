from shared.api import operation
from shared.exports.models import ExportAccepted
from shared.settings import data_export


@operation("POST /settings/export", permission="exports:act", tenant="required", out=ExportAccepted, status=202,
           throttle=(5, 1))
def handler(req):
    """exportSettings: starts a JSON Lines export of the tenant's settings; poll getExportJob for the file."""
    return data_export.export_settings(req.scope)
