from shared.api import operation
from shared.users import reports
from shared.users.models.lists import UserPage, UserSearchQuery


@operation("GET /users/search", permission="users:read", query=UserSearchQuery, out=UserPage, throttle=(50, 20))
def handler(req):
    """searchUsers: prefix search on names and email, ignoring case and accents."""
    return reports.search_users(req.scope, req.query)
