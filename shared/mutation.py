"""The one way to change an item: read, check, conditional write on `version`, audit, all at once.

With If-Match the caller's version must still be current (else 412). Without it, a lost race on
`version` is retried from a fresh read: only the fields the request names are written, so two
concurrent PATCHes of different fields both land. Changes that depend on the item (a running total,
a timestamp that only moves forward) are given as a function of the item as read, so a retry
computes them again from the fresh read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from shared import audit, clock
from shared.db.table import Item
from shared.db.tx import Tx
from shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed, VersionConflict

if TYPE_CHECKING:
    from collections.abc import Callable

_ATTEMPTS = 6
T = TypeVar("T", bound=Item)


def load(model: type[T], pk: str, sk: str, what: str, deleted_too: bool = False) -> T:
    try:
        item = model.get(pk, sk)
    except model.DoesNotExist:
        raise NotFound(f"{what} not found") from None
    if getattr(item, "deleted_at", None) and not deleted_too:
        raise NotFound(f"{what} not found")
    return item


def update(model: type[T], pk: str, sk: str, changes: dict[str, Any] | Callable[[T], dict[str, Any]], *,
           actor: Any, what: str, operation: str, expected_version: int | None = None,
           check: Callable[[T], None] | None = None, extra: Callable[[Tx, T, dict], None] | None = None,
           reason: str | None = None, deleted_too: bool = False, conceal: frozenset[str] = frozenset()) -> T:
    """Apply `changes` (attribute → new value, None removes) to the item at pk/sk; `changes(item)`
    computes them from the item as read (again on every retry).

    `check(item)` may refuse (raise) after the read; `extra(tx, item, changed)` adds operations to
    the same transaction (claims of changed unique fields, for instance); `reason` is kept with the
    audit entry (why an admin moved a member's tier down, say). `deleted_too` changes a soft-deleted
    item as well; the audit entry shows the values of `conceal`ed fields as redacted (an erasure must
    not keep what it erases)."""
    if not callable(changes):
        _removable(model, changes)
    for _ in range(_ATTEMPTS):
        item = load(model, pk, sk, what, deleted_too)
        if check:
            check(item)
        if expected_version is not None and item.version != expected_version:
            raise PreconditionFailed(f"{what} is at version {item.version}, not {expected_version}",
                                     field="/headers/if-match")
        wanted = changes(item) if callable(changes) else changes
        if callable(changes):
            _removable(model, wanted)
        changed = {k: v for k, v in wanted.items() if getattr(item, k) != v}
        if not changed:
            return item
        try:
            return _write(model, item, changed, actor, what, operation, extra, reason, conceal)
        except VersionConflict:
            if expected_version is not None:
                raise PreconditionFailed(f"{what} changed meanwhile", field="/headers/if-match") from None
    raise Conflict(f"{what} is being changed by others; try again")


def _removable(model: type[Item], changes: dict[str, Any]) -> None:
    required = [k for k, v in changes.items() if v is None and not getattr(model, k).null]
    if required:  # a required field (a key part, e.g. a user's role) is never removed
        raise ValidationFailed(f"{required[0]} cannot be removed", field=f"/body/{required[0]}")


def _write(model: type[T], item: Any, changed: dict, actor: Any, what: str, operation: str, extra: Any,
           reason: str | None = None, conceal: frozenset[str] = frozenset()) -> T:
    tx = Tx()
    add_write(tx, model, item, changed, actor, what, operation, extra, reason, conceal)
    tx.commit()
    return item


def add_write(tx: Tx, model: type[T], item: Any, changed: dict, actor: Any, what: str, operation: str,
              extra: Any, reason: str | None = None, conceal: frozenset[str] = frozenset()) -> None:
    """The conditional update of `changed` on an item as read, the `extra` operations and the audit entry,
    added to `tx`; `item` is changed in place (its version too)."""
    before, old_keys = audit.snapshot(item, conceal), item.keys()
    now = clock.now_ms()
    actions = [getattr(model, k).set(v) if v is not None else getattr(model, k).remove() for k, v in changed.items()]
    entity: Any = model  # every entity has updated_at; the base Item does not declare it
    actions += [entity.version.set(item.version + 1), entity.updated_at.set(now)]
    extra_tx = Tx()  # built from the item as it was read (e.g. the claim of the old email is released)
    if extra:
        extra(extra_tx, item, changed)
    for k, v in changed.items():
        setattr(item, k, v)
    actions += _moved_index_keys(model, old_keys, item.keys())
    tx.update(item, actions, condition=model.version == item.version, on_fail=VersionConflict())
    tx.ops += extra_tx.ops
    item.derive_keys()
    item.version, item.updated_at = item.version + 1, now
    audit.record(tx, actor, what, item.id, operation, before, audit.snapshot(item, conceal), client_id=item.tenant_id,
                 reason=reason)


def _moved_index_keys(model, old: dict, new: dict) -> list:
    """Index keys derived from changed fields (a tier in a GSI key, a date in a sparse index) move with
    them; table keys never change."""
    return [getattr(model, k).set(v) if v is not None else getattr(model, k).remove()
            for k, v in new.items() if k not in ("PK", "SK") and old.get(k) != v]
