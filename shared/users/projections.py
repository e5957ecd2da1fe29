"""What users add to counters (getUserStats) and to the search index (searchUsers)."""

from __future__ import annotations

from shared import search
from shared.core.months import month_of
from shared.db import projections
from shared.users.store import scope

STATS = "USERSTATS"


def stats_key(client_id: str | None) -> str:
    return scope(client_id, "COUNTER", STATS)


@projections.counter("USER", "user-stats")
def user_stats(user: dict) -> projections.Contribution:
    """One per live user: total, its status, its role, verified, 2FA."""
    return projections.tally(user, stats_key(user.get("client_id")), {"status": "status", "role": "role"},
                             flags=("email_verified", "two_factor_enabled"))


@projections.counter("USER_LOGIN", "user-logins")
def user_logins(login: dict) -> projections.Contribution:
    """The month of a user's last login (getUserStats' active_this_month); the bookkeeping item is
    removed with its user, and its contribution with it."""
    if not login.get("last_login"):
        return {}
    return {stats_key(login.get("client_id")): {f"active_{month_of(int(login['last_login']))}": 1}}


def token_partition(client_id: str | None, token: str) -> str:
    return scope(client_id, "SEARCH", "USER", token)


@projections.search_index("USER", "user-search")
def user_search(user: dict) -> set[str]:
    """Prefixes of the names and the email's words, for live users."""
    if user.get("deleted_at"):
        return set()
    # search.words splits on every non-alphanumeric, so the email's "@" and dots separate its words too.
    tokens = search.prefixes(user.get("first_name"), user.get("last_name"), user.get("full_name"), user.get("email"))
    return {token_partition(user.get("client_id"), t) for t in tokens}
