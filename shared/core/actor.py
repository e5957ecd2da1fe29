"""The authenticated caller, as the authorizer vouched for it, and the tenant a request acts in."""

from __future__ import annotations

from shared.core import rights


# Plain classes, not dataclasses: @dataclass generates code at import, and every handler imports these.
class Actor:
    """Who is calling: user id, role, own tenant (None only for super_admin) and extra grants."""

    __slots__ = ("user_id", "role", "tenant", "permissions", "grants")

    def __init__(self, user_id: str, role: str, tenant: str | None, permissions: frozenset[str] = frozenset()):
        self.user_id = user_id
        self.role = role
        self.tenant = tenant  # the caller's own client_id; None only for super_admin
        self.permissions = permissions  # extra grants on top of the role
        self.grants = rights.effective(role, permissions)

    def __repr__(self) -> str:
        return f"Actor({self.user_id!r}, {self.role!r}, {self.tenant!r})"

    @classmethod
    def from_authorizer(cls, context: dict) -> Actor:
        perms = context.get("permissions") or ""
        return cls(
            user_id=str(context["user_id"]),
            role=str(context["role"]),
            tenant=context.get("client_id") or None,
            permissions=frozenset(p for p in perms.split(",") if p),
        )


class Scope:
    """A caller acting in one tenant: their own, or for a super_admin the one it named (None =
    platform scope). The `operation` decorator resolves it once; services receive it."""

    __slots__ = ("actor", "tenant")

    def __init__(self, actor: Actor, tenant: str | None):
        self.actor, self.tenant = actor, tenant

    def __repr__(self) -> str:
        return f"Scope({self.actor!r}, tenant={self.tenant!r})"

    def require(self, permission: str, item=None, what: str = "item") -> None:
        """`rights.require` for this caller."""
        rights.require(self.actor, permission, item, what)

    def reach(self, tenant: str | None) -> None:
        """Another tenant's items do not exist for a caller who may not act there (404, not 403)."""
        if not rights.reaches(self.actor, tenant):
            from shared.errors import NotFound

            raise NotFound("client not found")

    def holds(self, permission: str) -> bool:
        return rights.holds(self.actor, permission)

    def tenant_required(self) -> str:
        """The tenant a tenant-scoped operation acts in: its routes declare `tenant="required"`, so a
        super_admin has named one (else a 400 naming client_id)."""
        if not self.tenant:
            from shared.errors import ValidationFailed

            raise ValidationFailed("name the client (client_id) the operation acts in", field="/query/client_id")
        return self.tenant
