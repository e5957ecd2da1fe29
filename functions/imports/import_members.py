from shared.api import operation
from shared.members import imports
from shared.members.models.imports import ImportStarted


@operation("POST /members/imports", permission="members:act", tenant="required", out=ImportStarted, status=201,
           throttle=(5, 1))
def handler(req):
    """importMembers: an import job and a pre-signed URL to PUT its CSV to; the upload starts it."""
    return imports.start(req.scope)
