"""What every benchmark shares: one DynamoDB call counter and one table printer.

The counter is a botocore `after-call.dynamodb` event hook: per DynamoDB operation the calls made, and
the items read (what DynamoDB reads, and bills, before any filter). It counts the calls of the thread
inside `counting()` only, so the servers' and pollers' threads never add to a request's figures;
the gateway and in-process handlers run on their caller's thread. A second hook on every `after-call`
counts all AWS calls by service (`Tally.aws`: the send path's SQS calls beside its DynamoDB ones).
"""

from __future__ import annotations

import gc
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

_HOOK_ID = "echelonx-bench-dynamodb-calls"
_EVENT = "after-call.dynamodb"
_PARAMS = "provide-client-params.dynamodb"  # the call's own parameters, before serialisation
_local = threading.local()
_installed = threading.Lock()
_hooked = False


@dataclass
class Tally:
    """The DynamoDB calls made inside one `counting()` block."""

    calls: Counter = field(default_factory=Counter)  # DynamoDB operation -> calls
    items: int = 0  # items read
    aws: Counter = field(default_factory=Counter)  # every AWS call, "service:Operation" -> calls
    # DynamoDB items written, as the request names them: "single" (PutItem, UpdateItem, DeleteItem,
    # BatchWriteItem) or "transaction" (TransactWriteItems: DynamoDB bills each item twice), by kind of item
    # (the entity in its partition key: COMM, COUNTER, AUDIT...).
    written: Counter = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        """Count `other`'s calls and items in this one too."""
        self.calls.update(other.calls)
        self.aws.update(other.aws)
        self.written.update(other.written)
        self.items += other.items

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def scans(self) -> int:
        return self.calls.get("Scan", 0)


def items_read(operation: str, parsed: dict) -> int:
    """Items DynamoDB read to answer one call (what is billed as read, before any filter)."""
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", 0))
    if operation == "GetItem":
        return 1 if parsed.get("Item") else 0
    if operation == "BatchGetItem":
        return sum(len(found) for found in (parsed.get("Responses") or {}).values())
    if operation == "TransactGetItems":
        return sum(1 for answer in parsed.get("Responses") or [] if answer.get("Item"))
    return 0


def kind_of(key: dict) -> str:
    """The kind of item a key names: the first word after the tenant (`T#<c>#COMM#...` → COMM) or the
    platform prefix (`P#DUE#...` → DUE); a counter with its name (`COUNTER#COMMSTATS`)."""
    pk = str((key.get("PK") or {}).get("S", ""))
    parts = pk.split("#")
    kind = parts[2] if parts[0] == "T" and len(parts) > 2 else parts[1] if len(parts) > 1 else pk or "?"
    return f"COUNTER#{parts[3]}" if kind == "COUNTER" and len(parts) > 3 else kind  # which counter: COMMSTATS...


def items_written(operation: str, params: dict) -> list[tuple[str, str]]:
    """(single | transaction, kind) of each item one DynamoDB write call writes."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return [("single", kind_of(params.get("Item") or params.get("Key") or {}))]
    if operation == "BatchWriteItem":
        return [("single", kind_of((r.get("PutRequest") or {}).get("Item") or (r.get("DeleteRequest") or {}).get("Key") or {}))
                for requests in (params.get("RequestItems") or {}).values() for r in requests]
    if operation == "TransactWriteItems":
        return [("transaction", kind_of(op.get("Item") or op.get("Key") or {}))
                for entry in params.get("TransactItems") or [] for name, op in entry.items() if name != "ConditionCheck"]
    return []


def _before_call(model=None, params=None, **_) -> None:
    tally = getattr(_local, "tally", None)
    if tally is not None and model is not None:
        tally.written.update(items_written(model.name, params or {}))


def _after_call(model=None, parsed=None, **_) -> None:
    tally = getattr(_local, "tally", None)
    if tally is not None and model is not None:
        tally.calls[model.name] += 1
        tally.items += items_read(model.name, parsed or {})


def _after_any_call(model=None, **_) -> None:
    tally = getattr(_local, "tally", None)
    if tally is not None and model is not None:
        tally.aws[f"{model.service_model.service_name}:{model.name}"] += 1


def install_call_counter() -> None:
    """Hook every botocore session and client, once per process: future ones by wrapping
    Session.__init__ (PynamoDB makes a session per thread), existing ones (made by a seed or an earlier
    test) through gc, since a client copies its session's handlers when it is made. Outside
    `counting()` the hook does nothing."""
    global _hooked
    with _installed:
        if _hooked:
            return
        import botocore.client
        import botocore.session

        original = botocore.session.Session.__init__

        def init(self, *args, **kwargs):
            original(self, *args, **kwargs)
            self.register(_EVENT, _after_call, unique_id=_HOOK_ID)
            self.register(_PARAMS, _before_call, unique_id=_HOOK_ID + "-params")
            self.register("after-call", _after_any_call, unique_id=_HOOK_ID + "-any")

        botocore.session.Session.__init__ = init
        for obj in gc.get_objects():
            if isinstance(obj, botocore.session.Session):
                obj.register(_EVENT, _after_call, unique_id=_HOOK_ID)
                obj.register(_PARAMS, _before_call, unique_id=_HOOK_ID + "-params")
                obj.register("after-call", _after_any_call, unique_id=_HOOK_ID + "-any")
            elif isinstance(obj, botocore.client.BaseClient):
                obj.meta.events.register(_EVENT, _after_call, unique_id=_HOOK_ID)
                obj.meta.events.register(_PARAMS, _before_call, unique_id=_HOOK_ID + "-params")
                obj.meta.events.register("after-call", _after_any_call, unique_id=_HOOK_ID + "-any")
        _hooked = True


@contextmanager
def counting() -> Iterator[Tally]:
    """The DynamoDB calls and items read of this thread while the block runs."""
    install_call_counter()
    _local.tally = Tally()
    try:
        yield _local.tally
    finally:
        _local.tally = None


def calls_made(calls: Counter) -> str:
    """`GetItem 1, Query 2`: the calls of one request, by operation."""
    return ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))


def table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    """Plain-text columns: the first `left` left-aligned (names), the others right-aligned (figures)."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i < left else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
