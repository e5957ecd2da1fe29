"""What a handler receives: the caller (`Actor`) and the parsed parts of the HTTP API v2 event."""

from __future__ import annotations

from typing import Any

# Higher rank may do everything a lower rank may (entities.md "Tenancy and roles").
ROLE_RANK = {"user": 1, "manager": 2, "admin": 3, "super_admin": 4}


# Plain classes, not dataclasses: @dataclass generates code at import, and every handler imports these.
class Actor:
    """The authenticated caller, as the authorizer vouched for it."""

    __slots__ = ("user_id", "role", "tenant", "permissions")

    def __init__(self, user_id: str, role: str, tenant: str | None, permissions: frozenset[str] = frozenset()):
        self.user_id = user_id
        self.role = role
        self.tenant = tenant  # the caller's client_id; None only for super_admin
        self.permissions = permissions

    def __repr__(self) -> str:
        return f"Actor({self.user_id!r}, {self.role!r}, {self.tenant!r})"

    @property
    def is_super_admin(self) -> bool:
        return self.role == "super_admin"

    def at_least(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @classmethod
    def from_authorizer(cls, context: dict) -> Actor:
        perms = context.get("permissions") or ""
        return cls(
            user_id=str(context["user_id"]),
            role=str(context["role"]),
            tenant=context.get("client_id") or None,
            permissions=frozenset(p for p in perms.split(",") if p),
        )


class Request:
    """A parsed request. `query` is the validated query model (or a plain dict when none is declared)."""

    __slots__ = ("operation", "method", "path", "query", "headers", "actor", "correlation_id", "source_ip",
                 "user_agent", "raw_path")

    def __init__(self, operation: str, method: str, path: dict[str, str], query: Any, headers: dict[str, str],
                 actor: Actor | None, correlation_id: str, source_ip: str | None = None,
                 user_agent: str | None = None, raw_path: str = ""):
        self.operation, self.method, self.path, self.query = operation, method, path, query
        self.headers, self.actor, self.correlation_id = headers, actor, correlation_id
        self.source_ip, self.user_agent, self.raw_path = source_ip, user_agent, raw_path

    @property
    def if_match(self) -> int | None:
        """The version named by If-Match (`"3"`, `W/"3"` or `3`); None when absent or `*`."""
        value = self.headers.get("if-match")
        if not value or value.strip() == "*":
            return None
        from shared.errors import ValidationFailed

        token = value.strip().removeprefix("W/").strip('"')
        if not (token.isascii() and token.isdigit()):  # "²".isdigit() is True, int("²") is not
            raise ValidationFailed("If-Match must be an ETag this API returned", field="/headers/if-match")
        return int(token)
