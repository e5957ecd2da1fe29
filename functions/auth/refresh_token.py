from shared.api import operation
from shared.auth import service
from shared.auth.models import RefreshBody, TokenPair


@operation("POST /auth/refresh", role=None, body=RefreshBody, out=TokenPair)
def handler(req, body):
    """Rotate a refresh token: a new access and refresh token; the old refresh token is spent."""
    return service.refresh(body.refresh_token)
