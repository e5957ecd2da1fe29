"""What the auth flows (shared.auth) ask of the users domain: find a user to log in, record the
login, and the key the authorizer reads (and the settings domain: is this a user of the tenant). Apart from service.py so login and the authorizer load
only the user item, not the user operations."""

from __future__ import annotations

from shared.users import store

find_by_email = store.find_by_email
record_login = store.record_login
record_failed_login = store.record_failed_login


def get(client_id: str | None, user_id: str) -> store.User:
    """A live user (404 otherwise)."""
    return store.get(client_id, user_id)


def record_key(client_id: str | None, user_id: str) -> tuple[str, str]:
    """The (PK, SK) of the user's item, for the authorizer's one BatchGetItem."""
    return store.User.key(client_id, user_id)


def shown(user: store.User) -> dict:
    """The user as the API shows it (login and refresh answers carry the same shape as getUserById)."""
    return user.public()
