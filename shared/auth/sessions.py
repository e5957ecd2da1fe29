"""What other domains may do to sessions (a password reset ends them all), without reaching the
login flows and the signing key behind them."""

from __future__ import annotations

from shared.auth import store


def revoke_all_sessions(client_id: str | None, user_id: str, reason: str) -> int:
    """Every live session of a user ends (a password reset); returns how many."""
    return store.revoke_all_sessions(client_id, user_id, reason)
