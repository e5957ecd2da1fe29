from shared.api import operation
from shared.users import account
from shared.users.models.two_factor import TwoFactorConfirm
from shared.users.models.user import UserOut


@operation("POST /users/{id}/two-factor/confirm", permission="users:write", own=True, body=TwoFactorConfirm,
           out=UserOut)
def handler(req, body):
    """confirmTwoFactor: a current code from the app turns two-factor on."""
    return account.confirm_two_factor(req.scope, req.path["id"], body.code)
