from shared.api import operation
from shared.users import service
from shared.users.models.lists import EmailQuery
from shared.users.models.user import UserOut


@operation("GET /users/by-email", permission="users:read", query=EmailQuery, out=UserOut)
def handler(req):
    """getUserByEmail: case-insensitive; another tenant's user is not found."""
    return service.get_user_by_email(req.scope, req.query.email)
