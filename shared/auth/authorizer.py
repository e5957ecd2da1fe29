"""The authorizer's decision, apart from the login flows: the authorizer's code reaches token
verification and one read, never the signing key or the second-factor secrets."""

from __future__ import annotations

from typing import Any

from shared.auth import store
from shared.clients import service as clients
from shared.security import tokens
from shared.users import logins as users


def authorize(token: str) -> dict | None:
    """The authorizer's decision: the claims handlers will see, or None to deny."""
    try:
        claims = tokens.verify_access_token(token)
    except tokens.InvalidToken:
        return None
    if not _still_allowed(claims):
        return None
    return {"user_id": claims.user_id, "role": claims.role, "client_id": claims.client_id or "",
            "permissions": ",".join(claims.permissions), "session_id": claims.session_id}


LIVE_CLIENT_STATUSES = ("active", "trial")


def _still_allowed(claims) -> bool:
    """One BatchGetItem: the session is live, the user active, the tenant active (suspending a client
    or deleting a user stops their tokens within the authorizer cache time)."""
    from shared.db.table import Item

    keys = [(store.session_key(claims.client_id, claims.session_id), "SESSION"),
            users.record_key(claims.client_id, claims.user_id)]
    if claims.client_id:
        keys.append(clients.record_key(claims.client_id))
    found: dict[str, Any] = {item.SK: item for item in Item.batch_get(keys)}  # a session, a user, a client
    session, user, client = found.get("SESSION"), found.get("USER"), found.get("CLIENT")
    if session is None or session.revoked or session.user_id != claims.user_id:
        return False
    if user is None or user.deleted_at or user.status != "active":
        return False
    return not claims.client_id or (client is not None and not client.deleted_at
                                    and client.status in LIVE_CLIENT_STATUSES)
