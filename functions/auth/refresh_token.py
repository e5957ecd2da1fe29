from shared.api import operation
from shared.auth import service
from shared.auth.models import RefreshBody
from shared.users.models.account import TokenPair


@operation("POST /auth/refresh", public=True, body=RefreshBody, out=TokenPair, raises=service.REFRESH_ERRORS)
def handler(req, body):
    """Rotate a refresh token: a new access and refresh token; the old refresh token is spent."""
    return service.refresh(body.refresh_token)
