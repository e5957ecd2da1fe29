"""User reports: searchUsers, getUserStats, getUserActivity, getUserPermissions.

Apart from service.py so the plain CRUD handlers do not import the projections and audit readers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared import audit, clock
from shared.core import rights
from shared.core.months import month_of
from shared.core.paging import page
from shared.db.projections import read_counter
from shared.users import store
from shared.users.projections import stats_key
from shared.users.service import readable

if TYPE_CHECKING:
    from shared.core.actor import Scope


def search_users(scope: Scope, q) -> dict:
    """searchUsers: every word of `q` a prefix of a word of the names or email, accent- and
    case-insensitive (shared.search.page: one query of tokens, one BatchGetItem of users)."""
    from shared import search
    from shared.users.projections import search_words, token_partition

    tenant = scope.tenant
    hits, last = search.page(lambda initial: token_partition(tenant, initial), q.q, limit=q.limit, cursor=q.cursor,
                             load=lambda ids: [u for u in store.batch_get(tenant, ids) if not u.deleted_at],
                             words_of=lambda u: search_words(u.attribute_values))
    return page(store.with_logins(hits), last, lambda u: u.public())


def user_stats(scope: Scope) -> dict:
    """getUserStats: one counter item, whatever the number of users."""
    tenant = scope.tenant
    c = read_counter(stats_key(tenant))
    by = lambda prefix: {k[len(prefix):]: v for k, v in c.items() if k.startswith(prefix) and v}  # noqa: E731
    return {"client_id": tenant, "total": c.get("total", 0), "by_status": by("status_"), "by_role": by("role_"),
            "email_verified": c.get("email_verified", 0), "two_factor_enabled": c.get("two_factor_enabled", 0),
            "active_this_month": c.get(f"active_{month_of(clock.now_ms())}", 0)}


def user_activity(scope: Scope, user_id: str, q) -> dict:
    """getUserActivity: what this user did (audit entries by them), newest first (a plain user:
    its own only)."""
    tenant = scope.tenant
    user = store.get(tenant, user_id, include_deleted=True)
    scope.require("audit:read", user, "user")
    entries, last = audit.actor_feed(tenant, user.id, limit=q.limit, cursor=q.cursor)
    return page(entries, last, audit.view)


def user_permissions(scope: Scope, user_id: str) -> dict:
    """getUserPermissions: the role's grants (the rights table) plus the user's own extra grants."""
    user = readable(scope, store.get(scope.tenant, user_id))
    return {"user_id": user.id, "role": user.role, "granted_by_role": sorted(rights.GRANTS[user.role]),
            "extra": sorted(user.permissions or []),
            "effective": sorted(rights.effective(user.role, user.permissions))}
