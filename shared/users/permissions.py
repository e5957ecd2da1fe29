"""The permission catalogue: every `resource:action` name, and what each role grants.

`users.permissions` adds grants on top of the role; getUserPermissions returns the union.
"""

from __future__ import annotations

RESOURCES = ("clients", "users", "members", "benefits", "communications", "campaigns", "conversations",
             "settings", "subscriptions", "transactions", "analytics", "webhooks", "audit", "exports")
ACTIONS = ("read", "write", "act")

CATALOGUE = frozenset({f"{r}:{a}" for r in RESOURCES for a in ACTIONS} | {"campaigns:launch", "clients:tier"})

_TENANT_DATA = ("members", "benefits", "communications", "campaigns", "conversations")
_MANAGER = {f"{r}:{a}" for r in _TENANT_DATA for a in ACTIONS} | {
    "clients:read", "users:read", "settings:read", "subscriptions:read", "transactions:read",
    "analytics:read", "webhooks:read", "audit:read", "campaigns:launch"}
_USER = {f"{r}:read" for r in ("clients", *_TENANT_DATA)} | {"communications:act", "members:act", "analytics:read"}
_ADMIN = _MANAGER | {f"{r}:{a}" for r in ("users", "settings", "subscriptions", "transactions", "webhooks", "exports")
                     for a in ACTIONS} | {"clients:write", "analytics:write", "audit:read"}

ROLE_GRANTS: dict[str, frozenset[str]] = {
    "user": frozenset(_USER),
    "manager": frozenset(_MANAGER),
    "admin": frozenset(_ADMIN),
    "super_admin": CATALOGUE,
}


def effective(role: str, extra: list[str] | None) -> list[str]:
    return sorted(ROLE_GRANTS.get(role, frozenset()) | set(extra or ()))


def unknown(names: list[str]) -> list[int]:
    """Positions of names not in the catalogue."""
    return [i for i, name in enumerate(names) if name not in CATALOGUE]
