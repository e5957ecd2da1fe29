"""`echelonx seed`: a demo tenant with staff of every role, and the platform's super_admin.

Local development only: the passwords are fixed and printed so a newcomer can log in at once.
"""

from __future__ import annotations

from shared.clients import store as clients
from shared.ids import new_id
from shared.security.passwords import hash_password
from shared.users import store as users

SUPER_ADMIN = ("super@echelonx.local", "super-admin-password")
DEMO_TENANT = "Demo Fitness Co"
STAFF = [("admin", "admin@demo.echelonx.local"), ("manager", "manager@demo.echelonx.local"),
         ("user", "user@demo.echelonx.local")]
STAFF_PASSWORD = "demo-staff-password"
TWO_FACTOR = ("mfa@demo.echelonx.local", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")  # a known TOTP secret, local only


def seed() -> dict:
    """Create what is missing (idempotent); return the logins."""
    logins: dict[str, dict[str, str] | str] = {"super_admin": {"email": SUPER_ADMIN[0], "password": SUPER_ADMIN[1]}}
    existing = users.find_by_email(SUPER_ADMIN[0])
    if existing is None:
        existing = users.create(_user(None, "super_admin", *SUPER_ADMIN, first="Sam", last="Super"))
    admin = users.find_by_email(STAFF[0][1])
    client_id = admin.client_id if admin else None
    if client_id is None:
        client = clients.create(clients.Client(
            id=new_id(), name=DEMO_TENANT, email="hello@demo.echelonx.local", status="active",
            subscription_tier="premium", industry="fitness", company_size="11-50", default_country="US",
            created_by=existing.id), actor=None)
        client_id = client.id
    for role, email in STAFF:
        if users.find_by_email(email) is None:
            users.create(_user(client_id, role, email, STAFF_PASSWORD, first=role.capitalize(), last="Demo"))
        logins[role] = {"email": email, "password": STAFF_PASSWORD}
    if users.find_by_email(TWO_FACTOR[0]) is None:
        _with_two_factor(users.create(_user(client_id, "manager", TWO_FACTOR[0], STAFF_PASSWORD, first="Mfa", last="Demo")))
    logins["two_factor"] = {"email": TWO_FACTOR[0], "password": STAFF_PASSWORD, "totp_secret": TWO_FACTOR[1]}
    logins["client_id"] = client_id
    return logins


def _with_two_factor(user: users.User) -> None:
    from shared.security import totp

    users.write(user, [users.User.two_factor_secret.set(totp.seal(user, TWO_FACTOR[1])),
                       users.User.two_factor_enabled.set(True)])


def _user(client_id, role, email, password, first, last) -> users.User:
    return users.User(id=new_id(), client_id=client_id, email=email, password_hash=hash_password(password),
                      role=role, status="active", first_name=first, last_name=last, full_name=f"{first} {last}",
                      email_verified=True, timezone="America/New_York", language="en", permissions=[])
