"""What a handler receives: the caller (`Actor`) and the parsed parts of the HTTP API v2 event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Higher rank may do everything a lower rank may (entities.md "Tenancy and roles").
ROLE_RANK = {"user": 1, "manager": 2, "admin": 3, "super_admin": 4}


@dataclass(frozen=True)
class Actor:
    """The authenticated caller, as the authorizer vouched for it."""

    user_id: str
    role: str
    tenant: str | None  # the caller's client_id; None only for super_admin
    permissions: frozenset[str] = frozenset()

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


@dataclass
class Request:
    """A parsed request. `query` is the validated query model (or a plain dict when none is declared)."""

    operation: str
    method: str
    path: dict[str, str]
    query: Any
    headers: dict[str, str]
    actor: Actor | None
    correlation_id: str
    source_ip: str | None = None
    user_agent: str | None = None
    raw_path: str = ""
    extra: dict = field(default_factory=dict)

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
