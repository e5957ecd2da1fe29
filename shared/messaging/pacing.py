"""Pacing: no sender is offered to its provider faster than its rate.

Each sender (`messaging.senders`: a number or from-address, its class, its rate, shared or not) has a bucket
item that books clock seconds: second s takes at most `rate` sends. A batch books all its messages from one
sender at once, in the earliest seconds with room (one conditional put per sender per batch, on the version
this process last wrote or read; a race reads the item and books again). A message booked into the current
second goes on at once; one booked into a later second is queued again with that second as its slot and the
wait as its delay (parked past SQS's 15 minutes) before anything is marked, so waiting uses up neither an
attempt nor a receive. A slotted message that comes back sends without booking again, only within its
second: early, it waits again; late (past its second), it books again.

A sender the platform shares between tenants (`shared`) is booked in one platform bucket, and each tenant
takes at most rate / n of a second, n the tenants with sends booked or waiting on it now: two tenants with backlogs on
one sender get half each. Its bookings reach at most SHARED_HORIZON_S ahead, so a tenant that arrives finds
room within that much; what does not fit comes back, spread at the tenant's share, when its turn nears.

A number or address the tenant has not declared is paced, with all its other undeclared senders, at
`messaging.tenant_send_rate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.messaging import store

if TYPE_CHECKING:
    from shared.messaging.queue import SendMessage

SHARED_HORIZON_S = 2  # how far ahead a tenant may book a shared sender (fairness reacts within it)
UNDECLARED = "*"  # the bucket of a tenant's undeclared senders
WRITE_TRIES = 5
_seen: dict[str, store.SenderBucket | None] = {}  # the bucket as this process last wrote it (warm Lambdas)


@dataclass(frozen=True)
class Pace:
    """Where a message's sends are booked and how fast."""

    bucket: str
    rate: int
    shared: bool


def pace_of(message: SendMessage, tenant: dict[str, Any]) -> Pace | None:
    """The pace of a message's sender from the tenant's settings (None: the message names no sender)."""
    if not message.sender:
        return None
    for sender in tenant["messaging.senders"]:
        if sender.address == message.sender:
            rate = sender.rate or getattr(tenant["messaging.send_rates"], sender.sender_class)
            return Pace(store.bucket_key(message.client_id, sender.address, sender.shared), rate, sender.shared)
    return Pace(store.bucket_key(message.client_id, UNDECLARED, False), tenant["messaging.tenant_send_rate"], False)


@dataclass(frozen=True)
class Booking:
    """A send's clock second: `booked`, the second it goes in; not booked (no room within the shared
    horizon), the second to come back in and book then, spread over the tenant's share so that a backlog
    comes back about once, not all together every horizon."""

    second: int
    booked: bool


def book(pace: Pace, client_id: str, count: int) -> list[Booking]:
    """Book `count` sends of one tenant on one sender, in order: one conditional put (a race: read, book again)."""
    for _ in range(WRITE_TRIES):
        bucket = _seen[pace.bucket] if pace.bucket in _seen else store.read_bucket(pace.bucket)
        seen_version = int(bucket.version) if bucket is not None else None
        bookings, written = _booked(bucket, pace, client_id, count)
        if store.write_bucket(written, seen_version):
            _seen[pace.bucket] = written
            return bookings
        _seen.pop(pace.bucket, None)  # another writer: read it and book again
    from shared.errors import Unavailable

    raise Unavailable(f"the bucket of {pace.bucket} is contended")


def _booked(bucket: store.SenderBucket | None, pace: Pace, tenant: str,
            count: int) -> tuple[list[Booking], store.SenderBucket]:
    now_s = clock.now_ms() // 1000
    # Seconds before full_until are full (or past); it only moves over full seconds, so a clock set back (a
    # test) finds the seconds it booked counted, never more taken than there are.
    stored = int(bucket.full_until) if bucket is not None else 0
    front = max(now_s, stored)
    windows = {int(s): dict(w) for s, w in (bucket.windows if bucket is not None else {}).items()
               if int(s) >= front}
    active = {t: int(last) for t, last in (bucket.active if bucket is not None else {}).items() if int(last) >= now_s}
    waiting = {t: float(at) for t, at in ((bucket.waiting or {}) if bucket is not None else {}).items() if at >= now_s}
    share = max(1, pace.rate // len(set(active) | {tenant})) if pace.shared else pace.rate
    horizon = now_s + SHARED_HORIZON_S if pace.shared else math.inf
    bookings: list[Booking] = []
    second, full_until = front, stored
    while len(bookings) < count and second < horizon:
        window = windows.setdefault(second, {})
        room = min(pace.rate - window.get("*", 0), share - window.get(tenant, 0))
        if room > 0:
            take = min(room, count - len(bookings))
            window["*"] = window.get("*", 0) + take
            window[tenant] = window.get(tenant, 0) + take
            bookings += [Booking(second, True)] * take
            active[tenant] = max(active.get(tenant, second), second)
        if window.get("*", 0) >= pace.rate and second == front:
            del windows[second]  # full seconds at the front are only counted
            front = full_until = second + 1
        second += 1
    if len(bookings) < count:
        # Waiting for room: each comes back when its turn at the tenant's share nears the horizon, and the
        # tenant counts among the sharers until then, so the others leave it its share.
        turn = max(waiting.get(tenant, 0.0), float(horizon))
        for _ in range(count - len(bookings)):
            bookings.append(Booking(max(now_s + 1, math.floor(turn) - SHARED_HORIZON_S + 1), False))
            turn += 1 / share
        waiting[tenant] = turn
        active[tenant] = max(active.get(tenant, now_s), math.ceil(turn))
    kept = {str(s): ({"*": w["*"]} if not pace.shared else w) for s, w in windows.items() if w}
    written = store.SenderBucket(pk=pace.bucket, full_until=full_until, windows=kept, active=active,
                                 waiting=waiting or None,
                                 version=(int(bucket.version) if bucket is not None else 0) + 1)
    return bookings, written


def slot_wait(slot: int) -> float | None:
    """For a message booked into second `slot`: seconds until its second begins (0: it is now), or None when
    its second has passed (it books again)."""
    now_ms = clock.now_ms()
    if now_ms >= (slot + 1) * 1000:
        return None
    return max(0.0, (slot * 1000 - now_ms) / 1000)
