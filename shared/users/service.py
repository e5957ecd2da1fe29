"""User operations (seed section 1): rights per entities.md, tenancy first.

Another tenant's user answers 404, never 403; a role that may never do an operation gets 403 from
the decorator before anything is read. An admin manages its own tenant's users but never a
super_admin, and cannot raise anyone above admin.
"""

from __future__ import annotations

from shared import phones
from shared.api.pagination import page
from shared.api.request import Actor
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.ids import new_id
from shared.users import permissions, store

PROFILE_FIELDS = ("first_name", "last_name", "full_name", "phone", "avatar_url", "timezone", "language",
                  "preferences")


def tenant_of(actor: Actor, client_id: str | None) -> str | None:
    """The tenant a request acts in: the caller's own, or for super_admin the one it names
    (None = platform scope). Naming another tenant finds nothing (404), it is not an error."""
    if actor.is_super_admin:
        if client_id:
            from shared.clients import store as clients

            clients.get(client_id)  # an unknown tenant is a 404, not an empty answer
        return client_id
    if client_id and client_id != actor.tenant:
        raise NotFound("not found")
    return actor.tenant


def visible(actor: Actor, user: store.User) -> store.User:
    if actor.role == "user" and user.id != actor.user_id:
        raise NotFound("user not found")  # a plain user sees only itself
    return user


def get_user(actor: Actor, user_id: str, client_id: str | None = None) -> dict:
    """getUserById."""
    return visible(actor, store.get(tenant_of(actor, client_id), user_id)).public()


def get_user_by_email(actor: Actor, email: str, client_id: str | None = None) -> dict:
    """getUserByEmail: emails are unique platform-wide; another tenant's user is not found."""
    tenant = tenant_of(actor, client_id)
    user = store.find_by_email(email)
    if user is None or (user.client_id != tenant and not (actor.is_super_admin and client_id is None)):
        raise NotFound("user not found")
    return visible(actor, user).public()


def list_users(actor: Actor, q) -> dict:
    """getUsers / getUsersByRole: newest first, filtered by status and role."""
    if q.include_deleted and not actor.at_least("admin"):
        raise Forbidden("include_deleted is for admins")
    items, last = store.list_users(tenant_of(actor, q.client_id), role=q.role, status=q.status,
                                   include_deleted=q.include_deleted, limit=q.limit, cursor=q.cursor)
    return page(items, last, lambda u: u.public())


def create_user(actor: Actor, body) -> dict:
    """createUser: email unique platform-wide (409 naming /body/email); phone to E.164."""
    from shared.security.passwords import hash_password

    tenant = _tenant_for_new_user(actor, body)
    _check_role_change(actor, None, body.role)
    _check_permissions(actor, body.permissions)
    user = store.User(
        id=new_id(), client_id=tenant, email=body.email.strip().lower(), role=body.role, status=body.status,
        password_hash=hash_password(body.password) if body.password else None,
        permissions=body.permissions or [], email_verified=False, two_factor_enabled=False,
        **{f: getattr(body, f) for f in PROFILE_FIELDS},
    )
    if user.phone:
        user.phone = phones.to_e164(user.phone, tenant, "/body/phone")
    from shared.users import account

    token = account.new_verification(user)
    store.create(user, actor)
    account.send_verification(user, token)
    return user.public()


def _tenant_for_new_user(actor: Actor, body) -> str | None:
    if body.role == "super_admin":
        if not actor.is_super_admin:
            raise Forbidden("only a super_admin creates super_admins")
        if body.client_id:
            raise ValidationFailed("a super_admin belongs to no client", field="/body/client_id")
        return None
    if actor.is_super_admin:
        if not body.client_id:
            raise ValidationFailed("name the client the user belongs to", field="/body/client_id")
        from shared.clients import store as clients

        clients.get(body.client_id)  # 404 for an unknown tenant
        return body.client_id
    if body.client_id and body.client_id != actor.tenant:
        raise NotFound("client not found")
    return actor.tenant


def _check_role_change(actor: Actor, user: store.User | None, new_role: str | None) -> None:
    if new_role is None:
        return
    if new_role == "super_admin" and not actor.is_super_admin:
        raise Forbidden("only a super_admin can make a super_admin")
    if user is not None and user.role == "super_admin" and not actor.is_super_admin:
        raise NotFound("user not found")


def _check_permissions(actor: Actor, names: list[str] | None) -> None:
    if not names:
        return
    bad = permissions.unknown(names)
    if bad:
        raise ValidationFailed(f"{names[bad[0]]!r} is not a known permission", field=f"/body/permissions/{bad[0]}")
    if not actor.is_super_admin:
        mine = set(permissions.effective(actor.role, list(actor.permissions)))
        beyond = [i for i, n in enumerate(names) if n not in mine]
        if beyond:
            raise Forbidden(f"you cannot grant {names[beyond[0]]!r}", field=f"/body/permissions/{beyond[0]}")


def update_user(actor: Actor, user_id: str, body, client_id: str | None = None,
                expected_version: int | None = None) -> dict:
    """updateUser: admins change their tenant's users; everyone changes their own profile and password."""
    tenant = tenant_of(actor, client_id)
    changes = body.model_dump(exclude_unset=True)
    is_self = user_id == actor.user_id
    admin_fields = {"email", "role", "status", "permissions"} & set(changes)
    if not actor.at_least("admin") and (not is_self or admin_fields):
        if not is_self:
            raise NotFound("user not found") if actor.role == "user" else Forbidden("only admins change other users")
        raise Forbidden(f"you cannot change your own {sorted(admin_fields)[0]}", field=f"/body/{sorted(admin_fields)[0]}")
    if is_self and admin_fields & {"role", "status"}:
        raise Forbidden("you cannot change your own role or status", field="/body/role")
    _check_permissions(actor, changes.get("permissions"))
    new_password = changes.pop("password", None)
    current = changes.pop("current_password", None)
    if "phone" in changes and changes["phone"]:
        changes["phone"] = phones.to_e164(changes["phone"], tenant, "/body/phone")
    if changes.get("email"):
        changes["email"] = changes["email"].strip().lower()
        changes["email_verified"] = False

    def check(user: store.User) -> None:
        visible(actor, user)
        _check_role_change(actor, user, changes.get("role"))
        if new_password is not None:
            _check_password_change(actor, user, current)

    if new_password is not None:
        from shared.security.passwords import hash_password

        changes["password_hash"] = hash_password(new_password)
    user = store.update(tenant, user_id, changes, actor=actor, operation="updateUser",
                        expected_version=expected_version, check=check)
    return user.public()


def _check_password_change(actor: Actor, user: store.User, current: str | None) -> None:
    from shared.security.passwords import verify_password

    if user.id == actor.user_id and not verify_password(user.password_hash, current or ""):
        raise ValidationFailed("current_password is wrong", field="/body/current_password")


def delete_user(actor: Actor, user_id: str, client_id: str | None = None, expected_version: int | None = None) -> None:
    """deleteUser: soft delete; the email is free again; their tokens stop at the authorizer."""
    if user_id == actor.user_id:
        raise Conflict("you cannot delete yourself", field="/path/id")

    def check(user: store.User) -> None:
        _check_role_change(actor, user, None)

    store.soft_delete(tenant_of(actor, client_id), user_id, actor=actor, expected_version=expected_version,
                      check=check)


def bulk_update(actor: Actor, body) -> dict:
    """bulkUpdateUsers: each item on its own, with its own result."""
    from shared.api import bulk

    return bulk.each(body.updates, lambda e: update_user(actor, e.id, e.changes, body.client_id))


def with_role(q, role: str):
    """getUsersByRole's path role as the list filter (400 naming /path/role when unknown)."""
    from typing import get_args

    from shared.users.models import Role

    if role not in get_args(Role):
        raise ValidationFailed(f"role must be one of {', '.join(get_args(Role))}", field="/path/role")
    return q.model_copy(update={"role": role})
