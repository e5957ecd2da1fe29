from shared.api import operation
from shared.auth import service
from shared.auth.models import RefreshBody


@operation("POST /auth/logout", public=True, body=RefreshBody, status=204)
def handler(req, body):
    """Revoke the refresh token's whole family; its access tokens stop working at once."""
    service.logout(body.refresh_token)
