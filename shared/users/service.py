"""User operations (seed section 1), with the rights of the rights table (shared.core.rights).

The decorator has let the caller in (its role holds the operation's permission, or the own-record
form of it) and resolved the tenant it acts in; what depends on the user at hand is checked here
with `scope.require(permission, user)`: a caller who may not read a user gets 404, one who may
read but not change it gets 403. No one makes or manages a role above their own grants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared import phones
from shared.core import rights
from shared.core.paging import page
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.ids import new_id
from shared.users import store

if TYPE_CHECKING:
    from shared.core.actor import Scope

PROFILE_FIELDS = ("first_name", "last_name", "full_name", "phone", "avatar_url", "timezone", "language",
                  "preferences")
ADMIN_FIELDS = ("email", "role", "status", "permissions")  # changed by holders of users:write only


def readable(scope: Scope, user: store.User) -> store.User:
    """The user, if the caller may read it (a plain user: only itself), else 404."""
    scope.require("users:read", user, "user")
    return user


def get_user(scope: Scope, user_id: str) -> dict:
    """getUserById."""
    return readable(scope, store.get(scope.tenant, user_id)).public()


def get_user_by_email(scope: Scope, email: str) -> dict:
    """getUserByEmail: emails are unique platform-wide; another tenant's user is not found
    (a super_admin naming no tenant looks platform-wide)."""
    user = store.find_by_email(email)
    platform_wide = scope.holds(rights.ACROSS_TENANTS) and scope.tenant is None
    if user is None or (user.client_id != scope.tenant and not platform_wide):
        raise NotFound("user not found")
    return readable(scope, user).public()


def list_users(scope: Scope, q: Any, role: str | None = None) -> dict:
    """getUsers / getUsersByRole: newest first, filtered by status and role."""
    include_deleted = store.users.deleted_allowed(scope, q.include_deleted)
    items, last = store.list_users(scope.tenant, role=role or q.role, status=q.status,
                                   include_deleted=include_deleted, limit=q.limit, cursor=q.cursor)
    return page(items, last, lambda u: u.public())


def create_user(scope: Scope, body: Any) -> dict:
    """createUser: email unique platform-wide (409 naming /body/email); phone to E.164; a
    verification email is sent."""
    from shared.security.passwords import hash_password
    from shared.users import account

    _check_role(scope, body.role)
    tenant = _tenant_for_new_user(scope, body.role)
    _check_permissions(scope, body.permissions)
    user = store.User(
        id=new_id(), client_id=tenant, email=body.email.strip().lower(), role=body.role, status=body.status,
        password_hash=hash_password(body.password) if body.password else None,
        permissions=body.permissions or [], email_verified=False, two_factor_enabled=False,
        **{f: getattr(body, f) for f in PROFILE_FIELDS},
    )
    if user.phone:
        user.phone = _phone(user.phone, tenant)
    token = account.new_verification(user)
    store.create(user, scope.actor, "createUser")
    account.send_verification(user, token)
    return user.public()


def _phone(raw: str, tenant: str | None) -> str:
    from shared.clients.service import default_country  # read only for a number without "+"

    return phones.to_e164(raw, "/body/phone", country=lambda: default_country(tenant))


def _tenant_for_new_user(scope: Scope, role: str) -> str | None:
    if role == "super_admin":
        if scope.tenant is not None:
            raise ValidationFailed("a super_admin belongs to no client", field="/body/client_id")
        return None
    if scope.tenant is None:
        raise ValidationFailed("name the client the user belongs to", field="/body/client_id")
    return scope.tenant


def _check_role(scope: Scope, role: str | None, field: str = "/body/role") -> None:
    if role is not None and not rights.may_assign(scope.actor, role):
        raise Forbidden(f"you cannot give or manage the role {role}", field=field)


def _check_permissions(scope: Scope, names: list[str] | None) -> None:
    if not names:
        return
    bad = rights.unknown(names)
    if bad:
        raise ValidationFailed(f"{names[bad[0]]!r} is not a known permission", field=f"/body/permissions/{bad[0]}")
    beyond = [i for i, name in enumerate(names) if not scope.holds(name)]
    if beyond:
        raise Forbidden(f"you cannot grant {names[beyond[0]]!r}", field=f"/body/permissions/{beyond[0]}")


def update_user(scope: Scope, user_id: str, body: Any, expected_version: int | None = None) -> dict:
    """updateUser: holders of users:write change their tenant's users; everyone changes their own
    profile and password (a new email must be verified again: earlier links stop working)."""
    from shared.users import account

    changes = body.model_dump(exclude_unset=True)
    admin_fields = [f for f in ADMIN_FIELDS if f in changes]
    if admin_fields and not scope.holds("users:write"):
        raise Forbidden(f"you cannot change {admin_fields[0]}", field=f"/body/{admin_fields[0]}")
    if user_id == scope.actor.user_id and ("role" in changes or "status" in changes):
        raise Forbidden("you cannot change your own role or status", field="/body/role" if "role" in changes
                        else "/body/status")
    _check_role(scope, changes.get("role"))
    _check_permissions(scope, changes.get("permissions"))
    new_password, current = changes.pop("password", None), changes.pop("current_password", None)
    if changes.get("phone"):
        changes["phone"] = _phone(changes["phone"], scope.tenant)
    token = None
    if changes.get("email"):
        changes["email"] = changes["email"].strip().lower()

    def check(user: store.User) -> None:
        scope.require("users:write", user, "user")
        _check_role(scope, user.role, "/path/id")
        if new_password is not None:
            _check_password_change(scope, user, current)
        nonlocal token
        if changes.get("email") and changes["email"] != user.email:
            token, changes["email_verification_token"] = account.new_token(user)
            changes["email_verified"] = False

    if new_password is not None:
        from shared.security.passwords import hash_password

        changes["password_hash"] = hash_password(new_password)
    user = store.update(scope.tenant, user_id, changes, actor=scope.actor, operation="updateUser",
                        expected_version=expected_version, check=check)
    if token is not None:
        account.send_verification(user, token)
    return user.public()


def _check_password_change(scope: Scope, user: store.User, current: str | None) -> None:
    from shared.security.passwords import verify_password

    if user.id == scope.actor.user_id and not verify_password(user.password_hash, current or ""):
        raise ValidationFailed("current_password is wrong", field="/body/current_password")


def delete_user(scope: Scope, user_id: str, expected_version: int | None = None) -> None:
    """deleteUser: soft delete; the email is free again; their tokens stop at the authorizer."""
    if user_id == scope.actor.user_id:
        raise Conflict("you cannot delete yourself", field="/path/id")

    def check(user: store.User) -> None:
        scope.require("users:write", user, "user")
        _check_role(scope, user.role, "/path/id")

    store.soft_delete(scope.tenant, user_id, actor=scope.actor, operation="deleteUser",
                      expected_version=expected_version, check=check)


def bulk_update(scope: Scope, body: Any, expected_version: int | None = None) -> dict:
    """bulkUpdateUsers: each item on its own, with its own result; an item's `version` (or else
    the request's If-Match) must still be current."""
    from shared.core import bulk

    return bulk.each(body.updates, lambda e: update_user(scope, e.id, e.changes, bulk.version_of(e, expected_version)))
