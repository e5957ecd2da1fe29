"""moto's SQS at O(batch) per call, on the shared clock.

Why: moto 5.2.5 keeps a queue's messages in one list and recomputes everything from it on every call:
``queue.attributes`` (read by every ``send_message``) counts the delayed, in-flight and visible messages,
``receive_message`` lists the visible ones and then reads ``queue.attributes`` again for each message it
returns (the retention check), and ``delete_message`` / ``change_message_visibility`` scan the list for the
receipt handle. Measured on the local runtime: send_message_batch of 10 took 137 ms at 1,000 queued,
652 ms at 5,000; receive of 10 took 422 / 1,989 ms. With this patch a call costs the same at 10,000 queued
as at 10 (``python -m shared.local.bench_sqs``: in-process CPU at 10,000 queued, send 276 → 4.5 ms, receive
772 → 4.6 ms, delete 39 → 2.8 ms).

Two patches, installed together by ``install()`` (``shared.local.moto_patches``):

* The clock. moto's SQS reads time through ``unix_time`` / ``unix_time_millis`` in ``moto.sqs.models``;
  they are pointed at ``shared.clock``, so delays, visibility timeouts, retention, the purge interval and
  the message timestamps follow a clock a test can freeze and move. A message is visible again once its
  visibility timeout has elapsed (moto: one millisecond later, which under a frozen clock is never, so
  ChangeMessageVisibility 0 would hide a message until the clock moved). Long polls keep a wall-clock
  deadline: ``WaitTimeSeconds`` are real seconds whatever the shared clock does, the call returns as soon
  as a message arrives, and a moved clock is noticed within ``RECHECK_S``.
* The index, for standard queues. A queue's ``_messages`` list is replaced by an ``_Index`` holding each
  message in one state (delayed, in flight, visible) with a counter per state, the visible ones in a heap
  by arrival order (moto's receive order), the delayed and in-flight ones in a heap by the instant they
  become visible, every receipt handle a message has had, and an age heap for retention. Time-driven
  changes are applied lazily when a call looks at the queue, each message moved once per change of
  state, so a call costs O(batch · log queue). moto's own code does the rest (validation, ``send_message``,
  ``add_message`` with its lambda event source mappings, ``purge_queue``, the responses), and anything in
  moto that still reads ``_messages`` gets the messages in arrival order from the index. FIFO queues stay
  entirely on moto's code path (message groups and deduplication scan the queue there): only the clock
  and the long-poll deadline apply to them.

What is preserved from moto: which messages a receive returns and in what order, receive counts and
receipt handles (any handle a message ever had deletes it or changes its visibility; deleting twice is a
no-op), redrive to the dead-letter queue when a visible message has been received maxReceiveCount times
(checked in the same order, up to the same message), ``ApproximateNumberOfMessages*``, purge, and the
errors (ReceiptHandleIsInvalid, the 12-hour visibility limit).

Deliberate differences, towards AWS:

* A message past the queue's MessageRetentionPeriod is gone: never received, not counted, and its receipt
  handles delete nothing (silently, as for a deleted message) and change nothing (ReceiptHandleIsInvalid).
  moto keeps such a message, counts it, marks it received, and stops the receive there, so the messages
  behind it wait for another call.
* A state change is one-way: moving the shared clock back does not delay again a message already released
  (moto recomputes from the timestamps on every call).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import weakref
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.core import utils as moto_utils
from moto.sqs import models as sqs_models
from moto.sqs.exceptions import InvalidParameterValue, ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend, _filter_message_attributes

from shared import clock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

RECHECK_S = 0.1  # a long poll looks again this often, for a moved clock (arrivals wake it at once)
MAX_TOTAL_VISIBILITY_MS = 43200 * 1000  # moto's (and SQS's) 12 hours from the message being sent
DELAYED, IN_FLIGHT, VISIBLE = "delayed", "in flight", "visible"

_lock = threading.Lock()
_originals: list[tuple[Any, str, Any]] = []  # what install() replaced, to put back
_indexing = False  # standard queues get an _Index (install(indexed=False) keeps moto's list)
_indexed_queues: weakref.WeakSet[Queue] = weakref.WeakSet()  # to give their lists back on uninstall


# --- the clock --------------------------------------------------------------------------------------------
def _unix_time(dt: Any = None) -> float:
    return moto_utils.unix_time(dt) if dt is not None else clock.now_ms() / 1000


def _unix_time_millis(dt: Any = None) -> float:
    return moto_utils.unix_time_millis(dt) if dt is not None else float(clock.now_ms())


def _visible(message: Message) -> bool:
    return clock.now_ms() >= message.visible_at


# --- the index --------------------------------------------------------------------------------------------
@dataclass(eq=False)
class _Slot:
    """One message's place in one queue; ``stamp`` moves on with every state change, so heap entries of an
    earlier state are recognised as stale."""

    message: Message
    seq: int  # arrival order in this queue
    state: str = ""
    stamp: int = 0
    live: bool = True


class _Heap:
    """A min-heap of slots by a key, with lazy removal: an entry whose slot has moved on is dropped when met,
    and the heap is rebuilt when stale entries outnumber the live ones (amortised O(1) per push)."""

    def __init__(self, follows_state: bool) -> None:
        self._items: list[tuple[float, int, int, _Slot]] = []
        self._follows_state = follows_state  # False: an entry stays valid for as long as its slot is live

    def _valid(self, item: tuple[float, int, int, _Slot]) -> bool:
        slot = item[3]
        return slot.live and (not self._follows_state or item[2] == slot.stamp)

    def push(self, key: float, slot: _Slot, live: int) -> None:
        # (key, seq, stamp) is unique per entry, so the slot itself is never compared.
        heapq.heappush(self._items, (key, slot.seq, slot.stamp, slot))
        if len(self._items) > 2 * live + 64:
            self._items = [item for item in self._items if self._valid(item)]
            heapq.heapify(self._items)

    def pop_until(self, key: float) -> Iterator[_Slot]:
        """The live slots whose key is at most ``key``, smallest first, each taken off the heap."""
        while self._items and self._items[0][0] <= key:
            item = heapq.heappop(self._items)
            if self._valid(item):
                yield item[3]

    def pop(self) -> _Slot | None:
        while self._items:
            item = heapq.heappop(self._items)
            if self._valid(item):
                return item[3]
        return None


class _Index:
    """A standard queue's messages by state; stands in for moto's ``Queue._messages`` list (``append``,
    ``remove``, iteration in arrival order), so moto's own ``add_message`` feeds it."""

    def __init__(self, messages: Iterable[Message] = ()) -> None:
        self._seq = itertools.count()
        self._slots: dict[Message, _Slot] = {}
        self._handles: dict[str, Message] = {}  # every receipt handle each message has had
        self._visible = _Heap(follows_state=True)  # by arrival
        self._waiting = _Heap(follows_state=True)  # delayed and in flight, by when they become visible
        self._by_age = _Heap(follows_state=False)  # by sent time, for retention
        self.counts = dict.fromkeys((DELAYED, IN_FLIGHT, VISIBLE), 0)
        now = clock.now_ms()
        for message in messages:
            self.add(message, now)

    # moto's list protocol
    def append(self, message: Message) -> None:
        self.add(message, clock.now_ms())

    def remove(self, message: Message) -> None:
        slot = self._slots.pop(message)
        slot.live = False
        self.counts[slot.state] -= 1
        for handle in message.all_receipt_handles:
            self._handles.pop(handle, None)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Message]:
        return (slot.message for slot in sorted(self._slots.values(), key=lambda slot: slot.seq))

    def __len__(self) -> int:
        return len(self._slots)

    # ours
    def add(self, message: Message, now: float) -> None:
        slot = _Slot(message, next(self._seq))
        self._slots[message] = slot
        for handle in message.all_receipt_handles:
            if handle is not None:
                self._handles[handle] = message
        self._by_age.push(message.sent_timestamp or 0, slot, len(self._slots))
        self.place(message, now)

    def place(self, message: Message, now: float) -> None:
        """File the message under the state its timestamps give it at ``now``."""
        slot = self._slots[message]
        if now < message.delayed_until:
            state, due = DELAYED, message.delayed_until
        elif now < message.visible_at:
            state, due = IN_FLIGHT, message.visible_at
        else:
            state, due = VISIBLE, None
        if slot.state:
            self.counts[slot.state] -= 1
        slot.state, slot.stamp = state, slot.stamp + 1
        self.counts[state] += 1
        if due is None:
            self._visible.push(slot.seq, slot, self.counts[VISIBLE])
        else:
            self._waiting.push(due, slot, self.counts[DELAYED] + self.counts[IN_FLIGHT])

    def settle(self, now: float, retention_s: int) -> list[Message]:
        """Release what has become visible by ``now``; drop and return what is past its retention."""
        for slot in list(self._waiting.pop_until(now)):
            self.place(slot.message, now)
        expired = [slot.message for slot in self._by_age.pop_until(now - retention_s * 1000)]
        for message in expired:
            self.remove(message)
        return expired

    def take(self) -> Message | None:
        """The first visible message in arrival order, off the visible heap: ``received`` or ``remove`` it."""
        slot = self._visible.pop()
        return None if slot is None else slot.message

    def received(self, message: Message, now: float) -> None:
        if message.receipt_handle is not None:
            self._handles[message.receipt_handle] = message
        self.place(message, now)

    def find(self, receipt_handle: str) -> Message | None:
        return self._handles.get(receipt_handle)

    def visible_messages(self) -> list[Message]:
        return [m for m in self if self._slots[m].state == VISIBLE]


def _index_of(queue: Queue, now: float | None = None) -> _Index | None:
    """The queue's index, settled at ``now`` (default: the shared clock's now); None on moto's code path."""
    if not _indexing or queue.fifo_queue:
        return None
    messages: list[Message] | _Index = queue._messages
    if isinstance(messages, _Index):
        index = messages
    else:  # a queue made before install, or a purge that put a new list in
        index = _Index(messages)
        queue._messages = index  # type: ignore[assignment]
        _indexed_queues.add(queue)
    retention_s = queue.message_retention_period  # type: ignore[attr-defined]
    expired = index.settle(clock.now_ms() if now is None else now, retention_s)
    for message in expired:
        queue.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]
    return index


# --- replacements -----------------------------------------------------------------------------------------
def _counted(state: str, original: property) -> property:
    def count(queue: Queue) -> int:
        with queue._messages_lock:
            index = _index_of(queue)
            return original.fget(queue) if index is None else index.counts[state]  # type: ignore[misc]

    return property(count)


def _visible_messages(original: property) -> property:
    def visible(queue: Queue) -> list[Message]:
        with queue._messages_lock:
            index = _index_of(queue)
            return original.fget(queue) if index is None else index.visible_messages()  # type: ignore[misc]

    return property(visible)


def _delete_message(original: Callable[..., None]) -> Callable[..., None]:
    def delete_message(queue: Queue, receipt_handle: str) -> None:
        with queue._messages_lock:
            index = _index_of(queue)
            if index is None:
                return original(queue, receipt_handle)
            if receipt_handle in queue.deleted_messages:
                return None  # already deleted: moto (and SQS) accept it again
            message = index.find(receipt_handle)
            if message is None:
                raise ReceiptHandleIsInvalid()
            index.remove(message)
            queue.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]
            return None

    return delete_message


def _change_message_visibility(original: Callable[..., None]) -> Callable[..., None]:
    def change_message_visibility(
        backend: SQSBackend, queue_name: str, receipt_handle: str, visibility_timeout: int
    ) -> None:
        queue = backend.get_queue(queue_name)
        with queue._messages_lock:
            now = clock.now_ms()
            index = _index_of(queue, now)
            if index is None:
                return original(backend, queue_name, receipt_handle, visibility_timeout)
            message = index.find(receipt_handle)
            if message is None:
                raise ReceiptHandleIsInvalid
            if now + int(visibility_timeout) * 1000 - message.sent_timestamp > MAX_TOTAL_VISIBILITY_MS:  # type: ignore[operator]
                raise InvalidParameterValue(
                    f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                    "VisibilityTimeout for the message is beyond the limit [43200 seconds]"
                )
            message.change_visibility(visibility_timeout)
            index.place(message, now)
            return None

    return change_message_visibility


def _receive_message(original: Callable[..., list[Message]]) -> Callable[..., list[Message]]:
    def receive_message(
        backend: SQSBackend,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> list[Message]:
        """One pass over the queue, repeated until a message comes or the long poll's real seconds are up."""
        queue = backend.get_queue(queue_name)
        deadline = time.monotonic() + int(wait_seconds_timeout or 0)
        while True:
            got = _receive_indexed(queue, count, visibility_timeout, message_attribute_names or [])
            if got is None:  # moto's code path: one pass of its own (no wait, so no deadline on its clock)
                got = original(backend, queue_name, count, 0, visibility_timeout, message_attribute_names)
            remaining = deadline - time.monotonic()
            if got or remaining <= 0:
                return got
            with queue._messages_lock:  # add_message notifies it
                queue._messages_lock.wait(min(remaining, RECHECK_S))

    return receive_message


def _receive_indexed(
    queue: Queue, count: int, visibility_timeout: int, attribute_names: list[str]
) -> list[Message] | None:
    """moto's receive pass on the index: visible messages in arrival order, the ones received
    maxReceiveCount times redriven to the dead-letter queue on the way. None for a queue on moto's path."""
    moved: list[Message] = []
    with queue._messages_lock:
        now = clock.now_ms()
        index = _index_of(queue, now)
        if index is None:
            return None
        dlq, policy = queue.dead_letter_queue, queue.redrive_policy
        result: list[Message] = []
        received: list[Message] = []
        try:
            while len(result) < count and (message := index.take()) is not None:
                if dlq is not None and policy and message.approximate_receive_count >= policy["maxReceiveCount"]:
                    index.remove(message)
                    moved.append(message)
                    continue
                received.append(message)
                message.mark_received(visibility_timeout=visibility_timeout)
                # A copy, as moto makes: the attribute filter must not change the stored message.
                copied = deepcopy(message)
                _filter_message_attributes(copied, attribute_names)
                result.append(copied)
        finally:
            for message in received:  # filed after the pass: a visibility of 0 must not return it twice
                index.received(message, now)
    for message in moved:  # outside this queue's lock: the DLQ takes its own
        dlq.add_message(message)  # type: ignore[union-attr]
    return result


# --- install ----------------------------------------------------------------------------------------------
def _clock_patches() -> list[tuple[Any, str, Callable[[Any], Any]]]:
    return [
        (sqs_models, "unix_time", lambda _: _unix_time),
        (sqs_models, "unix_time_millis", lambda _: _unix_time_millis),
        (Message, "visible", lambda _: property(_visible)),
        (SQSBackend, "receive_message", _receive_message),
    ]


def _index_patches() -> list[tuple[Any, str, Callable[[Any], Any]]]:
    return [
        (Queue, "approximate_number_of_messages_delayed", lambda p: _counted(DELAYED, p)),
        (Queue, "approximate_number_of_messages_not_visible", lambda p: _counted(IN_FLIGHT, p)),
        (Queue, "approximate_number_of_messages", lambda p: _counted(VISIBLE, p)),
        (Queue, "messages", _visible_messages),
        (Queue, "delete_message", _delete_message),
        (SQSBackend, "change_message_visibility", _change_message_visibility),
    ]


def install(indexed: bool = True) -> None:
    """Put moto's SQS on the shared clock and, unless ``indexed`` is False, standard queues on the index.
    Calling it again is a no-op (uninstall first to change ``indexed``)."""
    global _indexing
    with _lock:
        if _originals:
            return
        for owner, name, make in _clock_patches() + (_index_patches() if indexed else []):
            original = vars(owner)[name]
            _originals.append((owner, name, original))
            setattr(owner, name, make(original))
        _indexing = indexed


def uninstall() -> None:
    """Restore moto's own SQS (no-op when not installed); indexed queues get their message lists back."""
    global _indexing
    with _lock:
        _indexing = False
        for queue in list(_indexed_queues):
            with queue._messages_lock:
                if isinstance(queue._messages, _Index):
                    queue._messages = list(queue._messages)
        _indexed_queues.clear()
        while _originals:
            owner, name, original = _originals.pop()
            setattr(owner, name, original)


def state() -> tuple[bool, bool]:
    """(installed, indexed)."""
    return bool(_originals), _indexing


@contextmanager
def installed(indexed: bool = True) -> Iterator[None]:
    """Run a block on the shared clock, with the index (or moto's list: ``indexed=False``), then put back
    whichever was in place."""
    before = state()
    uninstall()
    install(indexed)
    try:
        yield
    finally:
        uninstall()
        if before[0]:
            install(before[1])
