"""The settings store: the only code that knows how a setting is keyed.

A setting's owner and key are its item's own key, so (type, owner, key) is unique by construction: a
first write is a put on condition that the key is free, no claim item needed.

| access pattern                                   | index | key condition                                          |
|--------------------------------------------------|-------|--------------------------------------------------------|
| a system setting                                 | table | PK = `P#SETTINGS`, SK = `<key>`                        |
| a tenant's (client scope) setting                | table | PK = `T#<c>#SETTINGS#CLIENT`, SK = `<key>`             |
| a user's setting                                 | table | PK = `T#<c>#SETTINGS#USER#<user>`, SK = `<key>`        |
| a scope's settings (of one category)             | table | PK as above (SK begins_with `<category>.`)             |
| one key in the user, client and system scopes    | table | BatchGetItem of the three keys above (`effective`)     |
| every setting of a tenant (client and its users) | GSI1  | GSI1PK = `T#<c>#SETTINGS`, GSI1SK = `<type>#<user or ->#<key>` (exportSettings) |

Settings are removed outright (deleteSetting, resetSettingsToDefault): an absent override is what
"inherit" means, so there is nothing to soft-delete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from shared import audit, clock
from shared import mutation as mutate
from shared.db import query
from shared.db.table import platform_key, tenant_key
from shared.db.tx import MAX_ITEMS, Tx
from shared.entity import Entity
from shared.errors import Conflict, NotFound, PreconditionFailed, VersionConflict
from shared.ids import new_id
from shared.settings.catalogue import CLIENT, CUSTOM, SYSTEM, USER, category_of

if TYPE_CHECKING:
    from collections.abc import Iterable

_ATTEMPTS = 4


def partition(kind: str, tenant: str | None, user_id: str | None = None) -> str:
    """The partition of one scope's settings: the platform's, a tenant's or one user's in a tenant."""
    if kind == SYSTEM:
        return platform_key("SETTINGS")
    if kind == CLIENT:
        return tenant_key(tenant or "", "SETTINGS", "CLIENT")
    return tenant_key(tenant or "", "SETTINGS", "USER", user_id or "")


def tenant_partition(tenant: str) -> str:
    """GSI1: every client- and user-scope setting of a tenant (its export)."""
    return tenant_key(tenant, "SETTINGS")


class Setting(Entity, discriminator="SETTING"):
    what, resource = "setting", "settings"

    id = UnicodeAttribute()
    setting_key = UnicodeAttribute(attr_name="key")  # `key` is the entity's key-builder
    value = JSONAttribute()
    type = UnicodeAttribute()  # system | client | user
    category = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)

    def keys(self):
        keys: dict[str, str | None] = {"PK": partition(self.type, self.client_id, self.user_id),
                                       "SK": self.setting_key}
        if self.type != SYSTEM:
            keys["GSI1PK"] = tenant_partition(self.client_id or "")
            keys["GSI1SK"] = f"{self.type}#{self.user_id or '-'}#{self.setting_key}"
        return keys

    @property
    def owner_id(self) -> str | None:
        return self.user_id if self.type == USER else None

    def public(self) -> dict:
        """The setting as the API (and its audit entries) show it."""
        return {"id": self.id, "key": self.setting_key, "value": self.value, "type": self.type,
                "category": self.category, "client_id": self.client_id, "user_id": self.user_id,
                "description": self.description, "updated_by": self.updated_by, "created_at": self.created_at,
                "updated_at": self.updated_at, "version": self.version}


def find(pk: str, key: str) -> Setting | None:
    try:
        return Setting.get(pk, key)
    except Setting.DoesNotExist:
        return None


def get(pk: str, key: str) -> Setting:
    item = find(pk, key)
    if item is None:
        raise NotFound("setting not found")
    return item


def batch_get(keys: list[tuple[str, str]]) -> dict[tuple[str, str], Setting]:
    """Items by (PK, key) in one BatchGetItem (up to 100 keys), missing ones left out."""
    if not keys:
        return {}
    return {(i.PK, i.setting_key): i for i in Setting.batch_get(list(dict.fromkeys(keys)))}


def in_partition(pk: str, category: str | None = None) -> list[Setting]:
    """All settings of one scope (of one category): bounded by the catalogue and the custom keys a scope
    may hold, so one query page."""
    prefix = f"{category}." if category else None
    return list(Setting.query(pk, Setting.SK.startswith(prefix) if prefix else None))


def page(pk: str, *, category: str | None, limit: int, cursor: str | None) -> tuple[list[Setting], dict | None]:
    """One scope's settings in key order (so by category), a page at a time."""
    return query.page(Setting, pk, limit=limit, cursor=cursor, sk_begins=f"{category}." if category else None)


def custom_count(pk: str) -> int:
    return Setting.count(pk, Setting.SK.startswith(f"{CUSTOM}."))


def put(kind: str, tenant: str | None, user_id: str | None, key: str, value: Any, *, description: str | None,
        actor: Any, operation: str, expected_version: int | None = None) -> tuple[Setting, bool]:
    """Create or replace one setting (If-Match: the version it must be at; on an absent one, 412).
    Returns the item and whether it was created."""
    pk = partition(kind, tenant, user_id)
    changes: dict[str, Any] = {"value": value, "updated_by": getattr(actor, "user_id", None)}
    if description is not None:
        changes["description"] = description
    for _ in range(_ATTEMPTS):
        if find(pk, key) is None:
            if expected_version is not None:
                raise PreconditionFailed(f"{key} is not set in this scope", field="/headers/if-match")
            item = Setting(id=new_id(), setting_key=key, type=kind, category=category_of(key),
                           client_id=tenant if kind != SYSTEM else None, user_id=user_id if kind == USER else None,
                           **changes)
            try:
                return _create(item, actor, operation), True
            except VersionConflict:
                continue  # set meanwhile: replace it
        try:
            return mutate.update(Setting, pk, key, changes, actor=actor, what="setting", operation=operation,
                                 expected_version=expected_version), False
        except NotFound:
            continue  # removed meanwhile: set it again
    raise Conflict("the settings are being changed by others; try again")


def _create(item: Setting, actor: Any, operation: str) -> Setting:
    now = clock.now_ms()
    item.created_at, item.updated_at, item.version = now, now, 1
    tx = Tx()
    tx.put(item, condition=Setting.PK.does_not_exist(), on_fail=VersionConflict())
    audit.record(tx, actor, "setting", item.id, operation, None, audit.snapshot(item), client_id=item.client_id)
    tx.commit()
    return item


def remove(pk: str, key: str, *, actor: Any, operation: str, expected_version: int | None = None) -> Setting:
    """Remove one setting with its audit entry (If-Match: 412 when it moved on)."""
    for _ in range(_ATTEMPTS):
        item = get(pk, key)
        if expected_version is not None and item.version != expected_version:
            raise PreconditionFailed(f"setting is at version {item.version}, not {expected_version}",
                                     field="/headers/if-match")
        try:
            _remove_all([item], actor, operation)
            return item
        except VersionConflict:
            if expected_version is not None:
                raise PreconditionFailed("setting changed meanwhile", field="/headers/if-match") from None
    raise Conflict("the settings are being changed by others; try again")


def remove_many(pk: str, keys: Iterable[str] | None, *, actor: Any, operation: str) -> list[Setting]:
    """Remove a scope's settings (all, or those of `keys` that are set), each with its audit entry, in
    transactions of up to 50 (two items each); a setting changed meanwhile is read again and removed."""
    removed: list[Setting] = []
    for _ in range(_ATTEMPTS):
        wanted = list(keys) if keys is not None else None
        items = in_partition(pk) if wanted is None else list(batch_get([(pk, k) for k in wanted]).values())
        items = [i for i in items if i.setting_key not in {r.setting_key for r in removed}]
        if not items:
            return removed
        try:
            for start in range(0, len(items), MAX_ITEMS // 2):
                chunk = items[start:start + MAX_ITEMS // 2]
                _remove_all(chunk, actor, operation)
                removed += chunk
            return removed
        except VersionConflict:
            continue
    raise Conflict("the settings are being changed by others; try again")


def _remove_all(items: list[Setting], actor: Any, operation: str) -> None:
    tx = Tx()
    for item in items:
        tx.delete(item, condition=Setting.version == item.version, on_fail=VersionConflict())
        audit.record(tx, actor, "setting", item.id, operation, audit.snapshot(item), None, client_id=item.client_id)
    tx.commit()
