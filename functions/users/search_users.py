from shared.api import operation
from shared.users import service
from shared.users.models import UserPage, UserSearchQuery


@operation("GET /users/search", role="manager", query=UserSearchQuery, out=UserPage)
def handler(req):
    """searchUsers: prefix search on names and email, ignoring case and accents."""
    return service.search_users(req.actor, req.query)
