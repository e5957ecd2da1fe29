from shared.api import operation
from shared.users import account
from shared.users.models.account import Accepted, ResetConfirm


@operation("POST /auth/password-reset/confirm", public=True, body=ResetConfirm, out=Accepted, heavy=True)
def handler(req, body):
    """confirmPasswordReset: the emailed token sets a new password and ends every session."""
    return account.confirm_password_reset(body.token, body.new_password)
