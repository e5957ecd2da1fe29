"""Transactions: every mutation and its audit entry and uniqueness claims commit together.

A store adds operations, each with the domain error to raise if *its* condition fails; commit maps
DynamoDB's per-item cancellation reasons onto those errors (never by message text). Only a
ConditionalCheckFailed reason is a domain error: a conflict with another transaction or throttling
is retried with backoff (`shared.db.writes`), and then, like any other failure, answers 503.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.db import writes

if TYPE_CHECKING:
    from shared.db.table import Item

MAX_ITEMS = 100  # DynamoDB's TransactWriteItems limit
_SEND_ORDER = {"check": 0, "delete": 1, "put": 2, "update": 3}


class _Op:
    __slots__ = ("kind", "item", "condition", "actions", "on_fail")

    def __init__(self, kind: str, item: Any, condition: Any = None, actions: list | None = None,
                 on_fail: Exception | None = None):
        self.kind = kind  # put | update | delete | check
        self.item, self.condition, self.actions, self.on_fail = item, condition, actions, on_fail


class Tx:
    """Operations to commit together (plain class: no @dataclass code generation at import)."""

    def __init__(self) -> None:
        self.ops: list[_Op] = []

    def put(self, item: Item, condition=None, on_fail: Exception | None = None) -> Tx:
        self.ops.append(_Op("put", item.derive_keys(), condition, on_fail=on_fail))
        return self

    def update(self, item: Item, actions: list, condition=None, on_fail: Exception | None = None) -> Tx:
        self.ops.append(_Op("update", item, condition, actions, on_fail))
        return self

    def delete(self, item: Item, condition=None, on_fail: Exception | None = None) -> Tx:
        self.ops.append(_Op("delete", item, condition, on_fail=on_fail))
        return self

    def check(self, model: type[Item], pk: str, sk: str, condition, on_fail: Exception) -> Tx:
        self.ops.append(_Op("check", (model, pk, sk), condition, on_fail=on_fail))
        return self

    def commit(self) -> None:
        """Write all or nothing; raise the `on_fail` of the first operation whose condition failed.

        Conflicts and throttling are retried (at most writes.TX_ATTEMPTS attempts, with backoff);
        what still fails then raises Unavailable."""
        if not self.ops:
            return
        if len(self.ops) > MAX_ITEMS:
            raise ValueError(f"a transaction holds at most {MAX_ITEMS} items")
        for attempt in range(writes.TX_ATTEMPTS):
            try:
                self._write()
                return
            except TransactWriteError as err:
                failure = self._failure(err)
                if failure is not None:
                    raise failure from None
                reasons = _reasons(err)
                if not reasons and not writes.busy(err):
                    raise  # refused as a whole for a reason of ours (AccessDenied, a bad request): a 500
                if not writes.RETRIED_REASONS & set(reasons) or attempt == writes.TX_ATTEMPTS - 1:
                    raise writes.unavailable(err, reasons) from err
                writes.backoff(attempt)

    def _ordered(self) -> list[_Op]:
        # PynamoDB sends condition checks, deletes, puts, then updates; cancellation reasons come
        # back in that order, so our operations are matched to them in the same order.
        return sorted(self.ops, key=lambda op: _SEND_ORDER[op.kind])

    def _write(self) -> None:
        with TransactWrite(connection=_connection()) as tw:
            for op in self._ordered():
                if op.kind == "put":
                    tw.save(op.item, condition=op.condition)
                elif op.kind == "update":
                    tw.update(op.item, actions=op.actions or [], condition=op.condition)
                elif op.kind == "delete":
                    tw.delete(op.item, condition=op.condition, add_version_condition=False)
                else:
                    model, pk, sk = op.item
                    tw.condition_check(model, pk, sk, condition=op.condition)

    def _failure(self, err: TransactWriteError) -> Exception | None:
        reasons = err.cancellation_reasons or []
        for op, reason in zip(self._ordered(), reasons, strict=False):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                return op.on_fail or RuntimeError("unexpected condition failure")
        return None


def _reasons(err: TransactWriteError) -> list[str]:
    """The cancellation reason codes (none when the call failed as a whole, e.g. throttled)."""
    return [r.code for r in err.cancellation_reasons or [] if r is not None]


_conn: Connection | None = None


def _connection() -> Connection:
    global _conn
    if _conn is None:
        _conn = Connection()
    return _conn
