"""The generic entity store: get, list, create with uniqueness claims, update and soft delete, the
same for every entity. An entity declares only its model (keys, claims, secret and hidden fields,
indexes) and its special queries.

It sits with the audited mutation, above the audit writer, because every write here commits its
audit entry in the same transaction; `shared.db` below stays the table alone.

Rules every entity gets:
- A soft-deleted item answers 404 to get and is left out of lists; `include_deleted` shows it to a
  caller holding the entity's write permission. Deleted items move to their own index partition
  (`Entity.listing`), so live lists never read them.
- Unique fields hold a claim item written in the same transaction as the entity; a changed value
  moves its claim, a soft delete releases them all.
- Updates go through `shared.mutation.update`: If-Match → 412, a lost race retried, index keys
  moved with their fields, the audit entry in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pynamodb.attributes import NumberAttribute

from shared import audit, clock
from shared import mutation as mutate
from shared.db import claims, query
from shared.db.table import Item
from shared.db.tx import Tx
from shared.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from collections.abc import Callable

DELETED = "DELETED"


class Unique:
    """A field whose value is unique in some scope: `key(value, item)` is its claim's key."""

    __slots__ = ("field", "key")

    def __init__(self, field: str, key: Callable[[Any, Any], str]):
        self.field, self.key = field, key

    def claim_of(self, item: Any, value: Any = None) -> str | None:
        value = getattr(item, self.field) if value is None else value
        return self.key(value, item) if value is not None else None


class Entity(Item):
    """Base of every entity with an id, timestamps, a version and soft delete."""

    what: ClassVar[str] = "item"  # the noun in messages and the audit log's entity_type
    resource: ClassVar[str] = ""  # the rights table's resource; its `:write` sees deleted items
    unique: ClassVar[tuple[Unique, ...]] = ()

    deleted_at = NumberAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        """(PK, SK) of the item with this id in this tenant."""
        raise NotImplementedError

    def listing(self, partition: str) -> str:
        """The index partition of a list this item is in: its own "deleted" one once soft-deleted."""
        return f"{partition}#{DELETED}" if self.deleted_at else partition

    @property
    def owner_id(self) -> str | None:
        """Whose own record this is (for own-only grants); None: nobody's."""
        return None


E = TypeVar("E", bound=Entity)


class EntityStore(Generic[E]):
    """The common data access of one entity."""

    def __init__(self, model: type[E]):
        self.model = model

    def get(self, tenant: str | None, item_id: str, *, include_deleted: bool = False) -> E:
        pk, sk = self.model.key(tenant, item_id)
        try:
            item = self.model.get(pk, sk)
        except self.model.DoesNotExist:
            raise NotFound(f"{self.model.what} not found") from None
        if item.deleted_at and not include_deleted:
            raise NotFound(f"{self.model.what} not found")
        return item

    def batch_get(self, tenant: str | None, ids: list[str]) -> list[E]:
        """Items by id in the order asked (missing ones left out): one BatchGetItem per 100."""
        if not ids:
            return []
        keys = [self.model.key(tenant, i) for i in dict.fromkeys(ids)]
        found = {item.id: item for item in self.model.batch_get(keys)}  # type: ignore[attr-defined]
        return [found[i] for i in ids if i in found]

    def deleted_allowed(self, scope: Any, include_deleted: bool) -> bool:
        """The one rule for `include_deleted` on every get and list: only for those who may write
        the entity (403 naming the parameter otherwise)."""
        if include_deleted and not scope.holds(f"{self.model.resource}:write"):
            raise Forbidden(f"include_deleted needs {self.model.resource}:write", field="/query/include_deleted")
        return include_deleted

    def page(self, partition: str, *, index: str, include_deleted: bool = False, limit: int, cursor: str | None,
             keep: Callable[[E], bool] | None = None, deleted_keep: Callable[[E], bool] | None = None,
             deleted_partition: tuple[str, str] | None = None) -> tuple[list[E], dict | None]:
        """A list, newest first, from one index partition; with `include_deleted` merged with the
        listing's deleted partition (`deleted_partition` = (partition, index) when it lies in another
        index than the live one, with `deleted_keep` filtering it)."""
        if not include_deleted:
            return query.page(self.model, partition, index=index, limit=limit, cursor=cursor, newest_first=True,
                              keep=keep)
        gone_partition, gone_index = deleted_partition or (f"{partition}#{DELETED}", index)
        sources = [query.Source(partition, index, keep),
                   query.Source(gone_partition, gone_index, deleted_keep if deleted_partition else keep)]
        return query.merged_page(self.model, sources, limit=limit, cursor=cursor, newest_first=True)

    def create(self, item: E, actor: Any = None, operation: str | None = None) -> E:
        """Write a new item with its claims and audit entry, all or nothing."""
        tx = Tx()
        self.add_create(tx, item, actor, operation)
        tx.commit()
        return item

    def add_create(self, tx: Tx, item: E, actor: Any = None, operation: str | None = None) -> None:
        """What `create` writes (the item, its claims, its audit entry), added to `tx` (a bulk write
        commits several in one transaction)."""
        now = clock.now_ms()
        item.created_at = item.created_at or now
        item.updated_at = now
        item.version = 1
        tx.put(item, condition=self.model.PK.does_not_exist())
        for unique in self.model.unique:
            self._claim(tx, unique, item, None)
        audit.record(tx, actor, self.model.what, item.id,  # type: ignore[attr-defined]
                     operation or f"create{self.model.what.capitalize()}", None,
                     audit.snapshot(item), client_id=item.tenant_id)

    def update(self, tenant: str | None, item_id: str, changes: dict[str, Any] | Callable[[E], dict[str, Any]], *,
               actor: Any, operation: str, expected_version: int | None = None,
               check: Callable[[E], None] | None = None, extra: Callable[[Tx, E, dict], None] | None = None,
               reason: str | None = None, deleted_too: bool = False, conceal: frozenset[str] = frozenset()) -> E:
        """Change fields (None removes one; a function of the item as read computes them); a changed
        unique value moves its claim in the same transaction. `check(item)` may refuse after the
        read; `extra` adds to the transaction; `reason` goes with the audit entry; `deleted_too` and
        `conceal` as in `shared.mutation.update`."""
        def move_claims(tx: Tx, item: E, changed: dict) -> None:
            self._move_claims(tx, item, changed)
            if extra is not None:
                extra(tx, item, changed)

        pk, sk = self.model.key(tenant, item_id)
        return mutate.update(self.model, pk, sk, changes, actor=actor, what=self.model.what, operation=operation,
                             expected_version=expected_version, check=check, extra=move_claims, reason=reason,
                             deleted_too=deleted_too, conceal=conceal)

    def add_update(self, tx: Tx, item: E, changed: dict[str, Any], *, actor: Any, operation: str) -> None:
        """What `update` writes for an item already read and its changed fields (conditional on the
        version read; the item is changed in place), added to `tx`: the bulk path of an import."""
        mutate.add_write(tx, self.model, item, changed, actor, self.model.what, operation,
                         lambda claims_tx, read, fields: self._move_claims(claims_tx, read, fields))

    def _move_claims(self, tx: Tx, item: E, changed: dict) -> None:
        for unique in self.model.unique if not item.deleted_at else ():  # a deleted item holds none
            if unique.field in changed:
                value = changed[unique.field]  # None: the value is removed, and its claim released
                old, new = unique.claim_of(item), unique.claim_of(item, value) if value is not None else None
                if old != new:
                    if old is not None:
                        claims.release(tx, old)
                    if new is not None:
                        self._claim(tx, unique, item, changed[unique.field])

    def soft_delete(self, tenant: str | None, item_id: str, *, actor: Any, operation: str | None = None,
                    expected_version: int | None = None, check: Callable[[E], None] | None = None,
                    extra: Callable[[Tx, E, dict], None] | None = None) -> E:
        """Hidden from gets and lists, moved to the deleted partition, its unique values free again."""
        def release(tx: Tx, item: E, changed: dict) -> None:
            for unique in self.model.unique:
                key = unique.claim_of(item)
                if key is not None:
                    claims.release(tx, key)
            if extra is not None:
                extra(tx, item, changed)

        pk, sk = self.model.key(tenant, item_id)
        return mutate.update(self.model, pk, sk, {"deleted_at": clock.now_ms()}, actor=actor, what=self.model.what,
                             operation=operation or f"delete{self.model.what.capitalize()}",
                             expected_version=expected_version, check=check, extra=release)

    def _claim(self, tx: Tx, unique: Unique, item: E, value: Any) -> None:
        key = unique.claim_of(item, value)
        if key is not None:
            claims.claim(tx, key, item, field=f"/body/{unique.field}", client_id=item.tenant_id)
