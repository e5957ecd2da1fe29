"""Setting operations (entities.md §11) and the effective-value reader the other domains use.

These are the product's settings, which tenants and users change through the API (quiet hours, the
default sender, send rates...); the Lambda environment a function is deployed with is something else,
`shared.core.settings`.

Three scopes, each a partition: system (the platform's, `P#SETTINGS`), client (a tenant's) and user
(one user's, inside its tenant). A key's value in effect is the first of user → client → system that
holds it, else its declared default (`shared.settings.catalogue`). Rights (entities.md): system-scope
writes are super_admin's (`system:write`) and its reads need `settings:read:system` (admin); the
client scope is read with `settings:read` (manager) and written with `settings:write` (admin); a
user's own scope with the own forms of those (every role). Another user's scope is another tenant's
when the user is not in the caller's: 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shared.core.log import logger
from shared.core.paging import page
from shared.errors import Conflict, Forbidden, ValidationFailed
from shared.settings import catalogue, store
from shared.settings.catalogue import CLIENT, CUSTOM, DECLARED, SYSTEM, USER

if TYPE_CHECKING:
    from collections.abc import Iterable

    from shared.core.actor import Scope

_CHAIN = (USER, CLIENT, SYSTEM)


# --- the effective-value reader -----------------------------------------------------------------------
def effective(tenant: str | None, key: str, user_id: str | None = None) -> Any:
    """The value of a declared `key` in effect for the tenant (and user): user → client → system →
    the declared default, typed (e.g. a `catalogue.QuietHours`). One BatchGetItem of the three items;
    no cache, so a change applies to the next call. A stored value the declaration no longer accepts is
    skipped (logged), so a narrowed type never breaks a sender."""
    return effective_values(tenant, [key], user_id)[key]


def effective_values(tenant: str | None, keys: Iterable[str], user_id: str | None = None) -> dict[str, Any]:
    """`effective` for several keys in the same one BatchGetItem (up to 33 keys: 3 items each)."""
    return {key: catalogue.typed(key, value) for key, (value, *_) in _resolve(tenant, user_id, list(keys)).items()}


def _chain(tenant: str | None, user_id: str | None, start: str = USER) -> list[tuple[str, str]]:
    """(scope, partition) from `start` up to the system scope, skipping the scopes there are none of."""
    chain = []
    for kind in _CHAIN[_CHAIN.index(start):]:
        if kind == SYSTEM or (tenant and (kind == CLIENT or user_id)):
            chain.append((kind, store.partition(kind, tenant, user_id)))
    return chain


def _resolve(tenant: str | None, user_id: str | None, keys: list[str], start: str = USER,
             found: dict | None = None) -> dict[str, tuple[Any, str, store.Setting | None]]:
    """key → (stored JSON value in effect, its source, the item there or None)."""
    chain = _chain(tenant, user_id, start)
    if found is None:
        found = store.batch_get([(pk, key) for _, pk in chain for key in keys])
    out: dict[str, tuple[Any, str, store.Setting | None]] = {}
    for key in keys:
        declared = DECLARED.get(key)
        out[key] = (declared.stored_default if declared else None, "default", None)
        for kind, pk in chain:
            item = found.get((pk, key))
            if item is not None and _usable(item, declared):
                out[key] = (item.value, kind, item)
                break
    return out


def _usable(item: store.Setting, declared: catalogue.Declared | None) -> bool:
    if declared is None:
        return True
    try:
        declared.adapter.validate_python(item.value)
        return item.type in declared.scopes
    except ValidationError:
        logger.warning("stored setting no longer valid; skipped", extra={"key": item.setting_key, "type": item.type})
        return False


# --- who may touch which scope ---------------------------------------------------------------------------
class _UserScope:
    """The owner of a user scope, for `Scope.require` (own-only grants admit the caller's own)."""

    __slots__ = ("owner_id",)

    def __init__(self, user_id: str):
        self.owner_id = user_id


def _owner(scope: Scope, kind: str, user_id: str | None, *, write: bool,
           where: str = "/query") -> tuple[str | None, str | None]:
    """Check the caller may read (or write) that scope; the (tenant, user) its partition is under."""
    if user_id is not None and kind != USER:
        raise ValidationFailed("user_id names a user scope: give type=user", field=f"{where}/user_id")
    if kind == SYSTEM:
        needed = "system:write" if write else "settings:read:system"
        if not scope.holds(needed):
            raise Forbidden(f"system settings need {needed}")
        return None, None
    if scope.tenant is None:
        raise ValidationFailed("name the client whose settings these are", field="/query/client_id")
    needed = "settings:write" if write else "settings:read"
    if kind == CLIENT:
        if not scope.holds(needed):
            raise Forbidden(f"the tenant's settings need {needed}")
        return scope.tenant, None
    user_id = user_id or scope.actor.user_id
    scope.require(needed, _UserScope(user_id), "user")
    if user_id != scope.actor.user_id or scope.actor.tenant != scope.tenant:
        from shared.users import logins

        logins.get(scope.tenant, user_id)  # a live user of this tenant (404 otherwise, as another tenant's)
    return scope.tenant, user_id


def _default_scope(scope: Scope) -> str:
    """What a read resolves from when it names no scope: the caller's own, as it applies to them."""
    return USER if scope.tenant else SYSTEM


# --- validation -------------------------------------------------------------------------------------------
def _declared(key: str, kind: str, field: str) -> catalogue.Declared | None:
    try:
        declared = catalogue.check_key(key)
    except ValueError as err:
        raise ValidationFailed(str(err), field=f"{field}/key") from None
    if declared is not None and kind not in declared.scopes:
        raise ValidationFailed(f"{key} may be set in the {', '.join(declared.scopes)} scope only",
                               field=f"{field}/type")
    return declared


def _value(key: str, value: Any, field: str) -> Any:
    try:
        return catalogue.validate(key, value)
    except ValidationError as exc:
        errors = [{"field": "/".join([f"{field}/value", *map(str, e["loc"])]), "message": e["msg"]}
                  for e in exc.errors(include_url=False, include_input=False)]
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors),
                               field=errors[0]["field"], errors=errors) from None
    except ValueError as err:
        raise ValidationFailed(str(err), field=f"{field}/value") from None


# --- operations ------------------------------------------------------------------------------------------
def list_settings(scope: Scope, q: Any) -> dict:
    """getSettings: one scope's stored settings (its overrides), in key order, by category if asked."""
    tenant, user_id = _owner(scope, q.type, q.user_id, write=False)
    items, last = store.page(store.partition(q.type, tenant, user_id), category=q.category, limit=q.limit,
                             cursor=q.cursor)
    return page(items, last, lambda s: s.public())


def setting_by_key(scope: Scope, q: Any) -> dict:
    """getSettingByKey: the value in effect from the scope asked (default: the caller's own), where it
    comes from, and the version of the key's item in that scope (its ETag)."""
    kind = q.type or _default_scope(scope)
    _declared_or_custom(q.key, "/query/key")
    tenant, user_id = _owner(scope, kind, q.user_id, write=False)
    value, source, item = _resolve(tenant, user_id, [q.key], start=kind)[q.key]
    return _effective_out(q.key, value, source, item, kind, tenant, user_id)


def _declared_or_custom(key: str, field: str) -> None:
    try:
        catalogue.check_key(key)
    except ValueError as err:
        raise ValidationFailed(str(err), field=field) from None


def _effective_out(key: str, value: Any, source: str, item: store.Setting | None, kind: str, tenant: str | None,
                   user_id: str | None) -> dict:
    declared = DECLARED.get(key)
    here = item is not None and item.type == kind
    return {"key": key, "value": value, "source": source, "category": catalogue.category_of(key),
            "declared": declared is not None,
            "description": (item.description if item is not None and item.description else None)
            or (declared.about if declared else None),
            "default": declared.stored_default if declared else None,
            "scopes": list(declared.scopes) if declared else [SYSTEM, CLIENT, USER], "type": kind,
            "client_id": tenant, "user_id": user_id, "version": item.version if here and item else None,
            "updated_at": item.updated_at if item is not None else None}


def view(scope: Scope, kind: str | None, user_id: str | None = None, category: str | None = None) -> dict:
    """getSystemSettings, getClientSettings, getUserSettings, getSettingsByCategory: every declared key
    settable in the scope (of the category) with its value in effect and its source, and the custom keys
    set along the chain. One query per scope of the chain (at most 3): a scope holds at most the
    catalogue and MAX_CUSTOM_PER_SCOPE custom keys."""
    kind = kind or _default_scope(scope)
    tenant, user_id = _owner(scope, kind, user_id, write=False)
    chain = _chain(tenant, user_id, kind)
    found = {(i.PK, i.setting_key): i for _, pk in chain for i in store.in_partition(pk, category)}
    keys = [k for k, d in DECLARED.items() if kind in d.scopes and (category is None or d.category == category)]
    keys += sorted({k for (_, k) in found if k not in DECLARED and catalogue.category_of(k) == CUSTOM})
    resolved = _resolve(tenant, user_id, keys, start=kind, found=found)
    settings = [_effective_out(k, *resolved[k], kind, tenant, user_id) for k in sorted(keys)]
    return {"type": kind, "client_id": tenant, "user_id": user_id, "category": category, "settings": settings}


def set_setting(scope: Scope, body: Any, expected_version: int | None = None, field: str = "/body") -> dict:
    """setSetting: create or replace one setting in a scope; the value checked against the key's type."""
    declared = _declared(body.key, body.type, field)
    tenant, user_id = _owner(scope, body.type, body.user_id, write=True, where=field)
    value = _value(body.key, body.value, field)
    pk = store.partition(body.type, tenant, user_id)
    if declared is None and store.find(pk, body.key) is None and store.custom_count(pk) >= catalogue.MAX_CUSTOM_PER_SCOPE:
        raise Conflict(f"a scope holds at most {catalogue.MAX_CUSTOM_PER_SCOPE} custom settings", field=f"{field}/key")
    item, _ = store.put(body.type, tenant, user_id, body.key, value, description=body.description,
                        actor=scope.actor, operation="setSetting", expected_version=expected_version)
    return item.public()


def delete_setting(scope: Scope, q: Any, expected_version: int | None = None) -> None:
    """deleteSetting: the scope's override removed; the key inherits again (404 when none is set)."""
    _declared_or_custom(q.key, "/query/key")
    tenant, user_id = _owner(scope, q.type, q.user_id, write=True)
    store.remove(store.partition(q.type, tenant, user_id), q.key, actor=scope.actor, operation="deleteSetting",
                 expected_version=expected_version)


def bulk_update(scope: Scope, body: Any, expected_version: int | None = None) -> dict:
    """bulkUpdateSettings: each change set on its own, with its own result; an item's `version` (or
    else the request's If-Match) must still be current. A refused value names its place in the body."""
    from shared.core import bulk

    place = {id(e): i for i, e in enumerate(body.updates)}
    return bulk.each(body.updates, lambda e: set_setting(scope, e, bulk.version_of(e, expected_version),
                                                         field=f"/body/updates/{place[id(e)]}"))


def reset_to_default(scope: Scope, body: Any) -> dict:
    """resetSettingsToDefault: the scope's overrides removed (all, or the keys named), each audited;
    those keys inherit again (from the next scope up, else the declared default)."""
    for i, key in enumerate(body.keys or ()):
        _declared_or_custom(key, f"/body/keys/{i}")
    tenant, user_id = _owner(scope, body.type, body.user_id, write=True, where="/body")
    removed = store.remove_many(store.partition(body.type, tenant, user_id), body.keys, actor=scope.actor,
                                operation="resetSettingsToDefault")
    keys = sorted(s.setting_key for s in removed)
    return {"type": body.type, "client_id": tenant, "user_id": user_id, "removed": keys, "count": len(keys)}

