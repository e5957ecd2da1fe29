from shared.api import operation
from shared.users import account
from shared.users.models.account import Accepted, EmailBody


@operation("POST /auth/password-reset", public=True, body=EmailBody, out=Accepted, status=202)
def handler(req, body):
    """requestPasswordReset: emails a single-use link; the answer is the same for any email."""
    return account.request_password_reset(body.email)
