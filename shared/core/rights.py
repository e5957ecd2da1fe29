"""The one rights table: what each role may do, as `resource:action` grants (entities.md, "Tenancy and
roles", as data).

A grant `users:read` covers every item of the caller's tenant; `users:read:own` covers only the
caller's own record (an item whose `owner_id` is the caller). A user's extra `permissions` add to
the role's grants. super_admin holds every grant in every tenant. Operations declare the permission
they need; services call `require` for rules that depend on the item. The role rank is derived from
the table (a role outranks another when it holds all of its grants), never declared apart.
"""

from __future__ import annotations

from typing import Any

from shared.errors import Forbidden, NotFound

OWN = ":own"

# Tenant data that managers run day to day (entities.md: members, benefits, member_benefits,
# conversations, communications, campaigns and their executions and jobs: R W A).
_RUN = ("members", "benefits", "conversations", "communications", "campaigns")
_READ_ONLY_FOR_USERS = ("clients", *_RUN)

_USER = frozenset({
    *(f"{r}:read" for r in _READ_ONLY_FOR_USERS),
    "members:track",          # trackMemberActivity
    "communications:log",     # logSMS, logEmail, logMMS
    "analytics:dashboard",    # the dashboard only
    "users:read" + OWN, "users:write" + OWN,   # own record, own profile and password
    "settings:read" + OWN, "settings:write" + OWN,  # own user-scope settings
    "audit:read" + OWN,       # own activity
})
_MANAGER = _USER | frozenset({
    *(f"{r}:{a}" for r in _RUN for a in ("write", "act")),
    "campaigns:launch",
    "users:read", "audit:read", "settings:read", "analytics:read",
    "subscriptions:read", "transactions:read", "webhooks:read",
})
_ADMIN = _MANAGER | frozenset({
    "clients:write",  # profile fields only: the commercial terms need tenants:write
    "members:downgrade",  # upgradeMemberTier backwards: managers move members up only
    "users:write", "settings:write", "settings:read:system", "analytics:write",
    *(f"{r}:{a}" for r in ("subscriptions", "transactions", "webhooks") for a in ("write", "act")),
    "exports:read", "exports:act",
    "members:privacy",  # eraseMember, exportMember
})
# The platform's own: the directory of tenants and their commercial terms, system settings and health.
_PLATFORM = frozenset({"tenants:read", "tenants:write", "system:read", "system:write"})

CATALOGUE: frozenset[str] = _ADMIN | _PLATFORM | frozenset(
    p.removesuffix(OWN) for p in _ADMIN if p.endswith(OWN))
"""Every permission there is: extra grants (users.permissions) must be one of these."""

GRANTS: dict[str, frozenset[str]] = {
    "user": _USER,
    "manager": _MANAGER,
    "admin": _ADMIN,
    "super_admin": CATALOGUE,
}
ROLES: tuple[str, ...] = tuple(GRANTS)


def _covers(held: frozenset[str], wanted: str) -> bool:
    """A tenant-wide grant covers its own-only form."""
    return wanted in held or (wanted.endswith(OWN) and wanted.removesuffix(OWN) in held)


def outranks(role: str, other: str) -> bool:
    """`role` holds every grant of `other` (equal roles outrank each other)."""
    held = GRANTS.get(role, frozenset())
    return all(_covers(held, p) for p in GRANTS.get(other, ()))


def _rank(role: str) -> int:
    return sum(1 for other in GRANTS if outranks(role, other))


ROLE_RANK: dict[str, int] = {role: _rank(role) for role in GRANTS}
"""user 1 < manager 2 < admin 3 < super_admin 4, derived from the grants."""


def effective(role: str, extra: Any = ()) -> frozenset[str]:
    """The role's grants plus a user's extra ones."""
    return GRANTS.get(role, frozenset()) | frozenset(extra or ())


def unknown(names: list[str]) -> list[int]:
    """Positions of names that are not permissions."""
    return [i for i, name in enumerate(names) if name not in CATALOGUE]


ACROSS_TENANTS = "tenants:read"
"""Who may name a tenant other than their own (the platform directory: super_admin)."""


def reaches(actor: Any, tenant: str | None) -> bool:
    """The actor may act in `tenant`: its own, or any for holders of the platform directory."""
    return tenant == actor.tenant or holds(actor, ACROSS_TENANTS)


def holds(actor: Any, permission: str) -> bool:
    """The actor may do `permission` to any item of its tenant."""
    return actor.role == "super_admin" or _covers(actor.grants, permission)


def admits(actor: Any, permission: str, own: bool = False) -> bool:
    """Whether the decorator lets the caller in: the permission, or its own-only form where the
    operation serves a caller's own record (the service then calls `require` with the item)."""
    return holds(actor, permission) or (own and _covers(actor.grants, permission + OWN))


def require(actor: Any, permission: str, item: Any = None, what: str = "item") -> None:
    """Refuse unless the actor may do `permission` (to `item`, when given).

    An own-only grant admits the caller's own record (`item.owner_id == actor.user_id`). When the
    caller may not even read the item, the answer is 404, as if it did not exist; when it may read
    it but not do this, 403."""
    if holds(actor, permission):
        return
    mine = item is not None and getattr(item, "owner_id", None) == actor.user_id
    if mine and _covers(actor.grants, permission + OWN):
        return
    if item is not None:
        read = permission.split(":", 1)[0] + ":read"
        if not (holds(actor, read) or (mine and _covers(actor.grants, read + OWN))):
            raise NotFound(f"{what} not found")
    raise Forbidden(f"{permission} is not granted to {actor.role}")


def may_assign(actor: Any, role: str) -> bool:
    """A caller may give a role (or manage someone holding it) only if it holds all of its grants:
    an admin never makes or manages a super_admin."""
    return actor.role == "super_admin" or all(_covers(actor.grants, p) for p in GRANTS.get(role, ()))
