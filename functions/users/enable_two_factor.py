from shared.api import operation
from shared.users import account
from shared.users.models.two_factor import TwoFactorSetup


@operation("POST /users/{id}/two-factor", permission="users:write", own=True, out=TwoFactorSetup)
def handler(req):
    """enableTwoFactor: a TOTP secret for your authenticator app (yourself only)."""
    return account.enable_two_factor(req.scope, req.path["id"])
