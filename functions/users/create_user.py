from shared.api import operation
from shared.users import service
from shared.users.models.changes import UserCreate
from shared.users.models.user import UserOut


@operation("POST /users", permission="users:write", body=UserCreate, out=UserOut, status=201, heavy=True)
def handler(req, body):
    """createUser: email unique platform-wide; a verification email is sent."""
    return service.create_user(req.scope, body)
