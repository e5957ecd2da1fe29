from shared.api import operation
from shared.clients import service
from shared.clients.models.changes import ClientPatch
from shared.clients.models.client import ClientOut


@operation("PATCH /clients/{id}", role="admin", body=ClientPatch, out=ClientOut)
def handler(req, body):
    """updateClient: admins change their client's profile; tier, status, contract and spend limit are super_admin's."""
    return service.update_client(req.actor, req.path["id"], body, req.if_match)
