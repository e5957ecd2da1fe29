"""O(items touched) rollback for moto's DynamoDB ``TransactWriteItems``.

Why: moto 5.2.5's ``DynamoDBBackend.transact_write_items`` takes a ``copy.deepcopy`` of the whole
table once per item in the transaction so that it can roll back, which makes every transaction
O(table size). Measured on the local runtime: 81 tx/s on an empty table, 1 tx/s with 6,000 items.
With this patch the rate no longer depends on table size (``python -m shared.local.bench_txn``:
about 800 tx/s in-process both empty and at 20,000 items, against moto's 20 tx/s at 2,000 items).

``install()`` swaps in a version that journals only the items the transaction touches (a deep copy of
each one's previous state, or the fact that it was absent) and, on failure, restores exactly those,
then truncates each touched table's stream shard back to its pre-transaction length.

What is preserved from moto: the order of evaluation, the per-item condition check, moto's own
``put_item`` / ``update_item`` / ``delete_item`` for the writes (so expression semantics and stream
records are moto's), the validation errors (more than 100 items, two operations on one item, two
operation types in one entry), and ``TransactionCanceledException`` with the same cancellation reasons
(``None`` for items that did not fail, the ``ALL_OLD`` item when requested). Secondary indexes need no
journal: moto computes them from the table's items on every query/scan.

Deliberate differences, all towards AWS behaviour:

* A rolled-back transaction leaves the table object (and its stream shard) in place instead of
  replacing it with a copy, so stream iterators obtained earlier keep working and never see records
  of the failed transaction. (moto's copy strands them on the old shard, which keeps those records.)
* Lambda event source mappings on a touched table are held for the duration of the transaction and
  invoked once on commit with the new records: moto invokes them from inside every single write,
  i.e. while the transaction can still be cancelled.
* An entry with two operation types rolls back the earlier entries (moto leaves them applied).
* The embedded AWS is a threaded server with stream pollers: transactions run under one lock, which
  the DynamoDB Streams ``get_shard_iterator`` / ``get_records`` calls also take, so no reader sees the
  records of a transaction still in flight (then rolled back, its sequence numbers reused), and one
  transaction's rollback cannot truncate another's records.
* Every single-item read and write, Query and Scan takes that lock too. moto's tables are plain dicts:
  a Query walking them while another thread's put adds a partition raised "dictionary changed size
  during iteration" (a 500, and a stream batch retried until it was skipped) under a loaded suite.
"""

from __future__ import annotations

import copy
import functools
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodbstreams.models import DynamoDBStreamsBackend

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table

_OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})
_lock = threading.RLock()
# moto's calls that read or change a table's items (BatchGet/BatchWrite go through get_item/put_item/delete_item).
_TABLE_CALLS = ("put_item", "get_item", "update_item", "delete_item", "query", "scan", "create_table",
                "delete_table", "update_table")
_originals: list[tuple[type, str, Any]] = []  # what install() replaced, to put back

Reason = tuple[str | None, str | None, dict[str, Any] | None]


@contextmanager
def locked() -> Iterator[None]:
    """Hold the lock every table call takes (a reader walking moto's tables in this process)."""
    with _lock:
        yield


def picked(table_name: str, pick: Callable[[dict[str, DynamoType]], Any]) -> list[Any] | None:
    """`pick(attributes)` of every item of moto's table in this process, the Nones left out (None when moto
    holds no such table here), under the table lock. A Scan through the API serialises each item to JSON
    and back; a suite worker's table holds every test's items, so a reader that walks them all (the TTL
    sweep, the suite's secrets check) reads them here instead."""
    from moto.dynamodb.models import dynamodb_backends

    from shared.local.aws import ACCOUNT, REGION

    table = dynamodb_backends[ACCOUNT][REGION].tables.get(table_name)
    if table is None:
        return None
    found = []
    with _lock:
        for partition in list(table.items.values()):
            items: Any = partition.values() if table.range_key_attr else (partition,)
            for item in items:
                value = pick(item.attrs)
                if value is not None:
                    found.append(value)
    return found


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return call


def install() -> None:
    """Patch moto (transactions, and stream reads to wait for them); calling it again is a no-op."""
    if _originals:
        return
    patches = [
        (DynamoDBBackend, "transact_write_items", lambda _: _transact_write_items),
        *((DynamoDBBackend, name, _locked) for name in _TABLE_CALLS),
        (DynamoDBStreamsBackend, "get_shard_iterator", _locked),
        (DynamoDBStreamsBackend, "get_records", _locked),
    ]
    for owner, name, make in patches:
        original = vars(owner)[name]
        _originals.append((owner, name, original))
        setattr(owner, name, make(original))


def uninstall() -> None:
    """Restore moto's own implementation (no-op when not installed)."""
    while _originals:
        owner, name, original = _originals.pop()
        setattr(owner, name, original)


def is_installed() -> bool:
    return bool(_originals)


@contextmanager
def installed(state: bool = True) -> Iterator[None]:
    """Run a block with the patch installed (or not), then put back whichever was in place."""
    before = is_installed()
    (install if state else uninstall)()
    try:
        yield
    finally:
        (install if before else uninstall)()


class _Journal:
    """Pre-transaction state of everything one transaction writes to."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, DynamoType, DynamoType | None], tuple[Table, Item | None]] = {}
        # table name -> (table, stream length before the transaction, its lambda mappings)
        self._tables: dict[str, tuple[Table, int, dict[str, Any]]] = {}

    def remember(
        self, table: Table, hash_key: DynamoType, range_key: DynamoType | None, current: Item | None
    ) -> None:
        if table.name not in self._tables:
            shard = table.stream_shard
            self._tables[table.name] = (
                table,
                len(shard.items) if shard else 0,
                table.lambda_event_source_mappings,
            )
            # StreamShard.add invokes the mapped lambdas on every write: hold them until committed.
            table.lambda_event_source_mappings = {}
        # Copy, because update_item mutates the stored Item in place. First write wins: a later entry can
        # reach the same item under another spelling of its table (name vs ARN) or key (extra attributes).
        self._items.setdefault((table.name, hash_key, range_key), (table, copy.deepcopy(current)))

    def rollback(self) -> None:
        for (_, hash_key, range_key), (table, previous) in self._items.items():
            # moto's Table.items: hash key -> Item, or (a table with a range key) hash key -> range key -> Item
            if range_key is None:
                _put_back(table.items, hash_key, previous)
            else:
                _put_back(table.items[hash_key], range_key, previous)
        for table, stream_length, _ in self._tables.values():
            if table.stream_shard is not None:
                del table.stream_shard.items[stream_length:]

    def resume_lambdas(self) -> None:
        for table, _, mappings in self._tables.values():
            mappings.update(table.lambda_event_source_mappings)  # keep any mapping created meanwhile
            table.lambda_event_source_mappings = mappings

    def notify_lambdas(self) -> None:
        for table, stream_length, mappings in self._tables.values():
            shard = table.stream_shard
            if mappings and shard is not None and len(shard.items) > stream_length:
                _send_to_lambdas(table)


def _put_back(slots: dict[DynamoType, Any], slot: DynamoType, previous: Item | None) -> None:
    """Restore one journalled item in its slot of a table's items: its previous state, or its absence."""
    if previous is None:
        slots.pop(slot, None)
    else:
        slots[slot] = previous


def _send_to_lambdas(table: Table) -> None:
    """What ``StreamShard.add`` does after appending a record, done once for the whole transaction."""
    from moto.awslambda.utils import get_backend

    shard = table.stream_shard
    assert shard is not None
    result = None
    for arn, mapping in table.lambda_event_source_mappings.items():
        backend = get_backend(shard.account_id, arn.split(":")[3])
        result = backend.send_dynamodb_items(arn, shard.items, mapping.event_source_arn)
    if result:
        shard.items = []


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = _Journal()
    claimed: set[tuple[str, str]] = set()
    with _lock:
        try:
            reasons = [_run_entry(self, entry, claimed, journal) for entry in transact_items]
            if any(code is not None for code, _, _ in reasons):
                raise TransactionCanceledException(reasons)
        except Exception:
            journal.rollback()
            raise
        finally:
            journal.resume_lambdas()
    # Outside the lock: a lambda may well write back to DynamoDB through another server thread.
    journal.notify_lambdas()


def _run_entry(
    backend: DynamoDBBackend, entry: dict[str, Any], claimed: set[tuple[str, str]], journal: _Journal
) -> Reason:
    """Apply one TransactItem; validation errors propagate, anything else becomes its cancellation reason."""
    if len(entry) > 1:
        raise TransactWriteSingleOpException()
    failed_item = None
    try:
        op_type, op = next(iter(entry.items()))
        if op_type not in _OPERATIONS:
            raise ValueError("Unsupported transaction operation")
        table_name = op["TableName"]
        key = _key_of(backend, op_type, op)
        _claim(claimed, table_name, key)
        current = backend.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        names = op.get("ExpressionAttributeNames")
        values = op.get("ExpressionAttributeValues")
        if condition is not None and not get_filter_expression(condition, names, values).expr(current):
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                failed_item = current.to_json()["Attributes"]
            raise ConditionalCheckFailed(item=failed_item)
        if op_type != "ConditionCheck":
            table = backend.get_table(table_name)
            journal.remember(table, *backend.get_keys_value(table, key), current)
            _write(backend, op_type, op, key)
    except MockValidationException:
        raise
    except ConditionalCheckFailed as e:
        return "ConditionalCheckFailed", str(e.message), failed_item
    except Exception as e:  # noqa: BLE001 - any failure cancels the transaction with its reason, as DynamoDB does
        return type(e).__name__, str(e), failed_item
    return None, None, None


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return op["Key"]
    attrs = op["Item"]
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _claim(claimed: set[tuple[str, str]], table_name: str, key: dict[str, Any]) -> None:
    marker = (str(table_name), str(dict(sorted(key.items()))))
    if marker in claimed:
        raise MultipleTransactionsException()
    claimed.add(marker)


def _write(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    expression_args: dict[str, Any] = {  # each a str or dict from the request, or None
        "condition_expression": op.get("ConditionExpression"),
        "expression_attribute_names": op.get("ExpressionAttributeNames"),
        "expression_attribute_values": op.get("ExpressionAttributeValues"),
    }
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"], **expression_args)
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], key, **expression_args)
    else:
        backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"], **expression_args)
