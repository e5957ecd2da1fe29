from shared.api import operation
from shared.auth import service
from shared.auth.models import LoginBody
from shared.users.models.account import TokenPair


@operation("POST /auth/login", public=True, body=LoginBody, out=TokenPair, heavy=True, raises=service.LOGIN_ERRORS)
def handler(req, body):
    """Exchange email and password (and a TOTP code when two-factor is on) for tokens."""
    return service.login(body, req.source_ip)
