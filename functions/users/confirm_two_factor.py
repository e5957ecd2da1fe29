from shared.api import operation
from shared.users import account
from shared.users.models.two_factor import TwoFactorConfirm
from shared.users.models.user import UserOut


@operation("POST /users/{id}/two-factor/confirm", role="user", body=TwoFactorConfirm, out=UserOut)
def handler(req, body):
    """confirmTwoFactor: a current code from the app turns two-factor on."""
    return account.confirm_two_factor(req.actor, req.path["id"], body.code)
