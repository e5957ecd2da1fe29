from shared.api import operation
from shared.clients import service
from shared.clients.models.changes import ClientPatch
from shared.clients.models.client import ClientOut


@operation("PATCH /clients/{id}", permission="clients:write", tenant="path", body=ClientPatch, out=ClientOut)
def handler(req, body):
    """updateClient: admins change their client's profile; tier, status, contract and spend limit are super_admin's."""
    return service.update_client(req.scope, req.path["id"], body, req.if_match)
