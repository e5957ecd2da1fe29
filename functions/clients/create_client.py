from shared.api import operation
from shared.clients import service
from shared.clients.models.changes import ClientCreate
from shared.clients.models.client import ClientOut


@operation("POST /clients", permission="tenants:write", tenant="platform", body=ClientCreate,
           out=ClientOut, status=201)
def handler(req, body):
    """createClient: a new tenant; the name is unique platform-wide, ignoring case."""
    return service.create_client(req.scope, body)
