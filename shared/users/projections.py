"""What users add to counters (getUserStats) and to the search index (searchUsers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared import search
from shared.core.months import month_of
from shared.db import projections
from shared.entity import DELETED
from shared.users.store import scope

if TYPE_CHECKING:
    from collections.abc import Iterator

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


@projections.counted_items("USER", "USER_LOGIN")
def users_and_logins(client_id: str | None) -> Iterator[dict]:
    """Every user of the tenant (the platform's: its super_admins), live and soft-deleted (the two GSI1
    list partitions), then their login items (one BatchGetItem per 100)."""
    users = [*projections.query_images(scope(client_id, "USERS"), index="GSI1"),
             *projections.query_images(scope(client_id, "USERS", DELETED), index="GSI1")]
    yield from users
    yield from projections.get_images([(user["PK"], "LOGIN") for user in users])


def token_partition(client_id: str | None, initial: str) -> str:
    """The search partition of the words starting with `initial` (one character) in a tenant."""
    return scope(client_id, "SEARCH", "USER", initial)


# Words each field adds to the index: 40 at most, within search.MAX_WORDS.
SEARCH_FIELDS = (("first_name", 8), ("last_name", 8), ("full_name", 12), ("email", 12))


def search_words(user: dict) -> list[str]:
    """The words a user is found by: its names' and its email's (the "@" and dots separate words)."""
    return search.indexed_words(*((user.get(name), budget) for name, budget in SEARCH_FIELDS))


@projections.search_index("USER", "user-search")
def user_search(user: dict) -> set[tuple[str, str]]:
    """A token for each indexed word of a live user."""
    if user.get("deleted_at"):
        return set()
    return search.tokens(lambda initial: token_partition(user.get("client_id"), initial), search_words(user),
                         user["id"])
