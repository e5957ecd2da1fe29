from shared.api import operation
from shared.members import imports
from shared.members.models.imports import ImportJobOut


@operation("GET /members/imports/{id}", permission="members:act", tenant="required", out=ImportJobOut)
def handler(req):
    """getMemberImport: progress (rows read, created, updated, unchanged, failed) and the results file."""
    return imports.get(req.scope, req.path["id"])
