from shared.api import operation
from shared.users import account
from shared.users.models.account import Accepted, TokenBody


@operation("POST /auth/verify-email", public=True, body=TokenBody, out=Accepted)
def handler(req, body):
    """verifyEmail: the emailed token marks the address verified."""
    return account.verify_email(body.token)
