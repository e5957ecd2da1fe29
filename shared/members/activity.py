"""The items kept beside a member, in its own partition (`T#<client>#MEMBER#<id>`): what the
scores of `shared.members.insights` are computed from.

| item                 | SK                                    | written by                              |
|----------------------|---------------------------------------|-----------------------------------------|
| activity event       | `ACTIVITY#<at, 15 digits>#<ulid>`     | trackMemberActivity (entity MEMBER_ACTIVITY) |
| engagement inputs    | `ENGAGEMENT`                          | every signal (entity MEMBER_ENGAGEMENT) |
| spend reference      | `SPEND#<reference>`                   | updateMemberSpend with a reference (entity MEMBER_SPEND) |

The engagement item holds, per signal, a count per UTC day for the last KEPT_DAYS days (older days
are dropped by the next write), the all-time count and the latest time seen, and the member's
purchases and refunds. A score reads it with one GetItem whatever the member's history; it is
written read-modify-write on its `version`, in the same transaction as what fed it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from shared import clock
from shared.db import query
from shared.db.attributes import DecimalAttribute
from shared.db.table import Item
from shared.errors import VersionConflict
from shared.members.store import member_key

if TYPE_CHECKING:
    from shared.db.tx import Tx

DAY_MS = 24 * 60 * 60 * 1000
KEPT_DAYS = 90  # the longest window a formula reads
ACTIVITY_PREFIX = "ACTIVITY#"
ENGAGEMENT_SK = "ENGAGEMENT"
SPEND_PREFIX = "SPEND#"


def day_of(at_ms: int) -> int:
    """The UTC day number of an instant (days since 1970-01-01)."""
    return at_ms // DAY_MS


class MemberActivity(Item, discriminator="MEMBER_ACTIVITY"):
    """One thing a member did (trackMemberActivity), in time order within the member's partition."""

    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    type = UnicodeAttribute()
    metadata = JSONAttribute(null=True)
    at = NumberAttribute()
    created_at = NumberAttribute()

    def keys(self):
        return {"PK": member_key(self.client_id, self.member_id), "SK": f"{ACTIVITY_PREFIX}{int(self.at):015d}#{self.id}"}


class MemberEngagement(Item, discriminator="MEMBER_ENGAGEMENT"):
    """A member's engagement inputs: day counts per signal, totals, purchases (module docstring)."""

    client_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    days = JSONAttribute(null=True)  # {signal: {"<UTC day number>": count}}, the last KEPT_DAYS days
    totals = JSONAttribute(null=True)  # {signal: count}, all time
    last_at = JSONAttribute(null=True)  # {signal: epoch ms of the latest}
    purchase_count = NumberAttribute(default=0)
    refund_count = NumberAttribute(default=0)
    purchase_total = DecimalAttribute(null=True)  # gross of the purchases recorded
    refund_total = DecimalAttribute(null=True)
    first_purchase_at = NumberAttribute(null=True)
    last_purchase_at = NumberAttribute(null=True)

    def keys(self):
        return {"PK": member_key(self.client_id, self.member_id), "SK": ENGAGEMENT_SK}

    def add(self, signal: str, at_ms: int, amount: int = 1) -> None:
        """Count `amount` of `signal` at `at_ms`; days that fell out of the kept window are dropped."""
        oldest = day_of(clock.now_ms()) - KEPT_DAYS + 1
        days = {s: {d: n for d, n in counts.items() if int(d) >= oldest} for s, counts in (self.days or {}).items()}
        if day_of(at_ms) >= oldest:
            counts = days.setdefault(signal, {})
            counts[str(day_of(at_ms))] = counts.get(str(day_of(at_ms)), 0) + amount
        self.days = {s: c for s, c in days.items() if c}
        self.totals = {**(self.totals or {}), signal: (self.totals or {}).get(signal, 0) + amount}
        if at_ms > (self.last_at or {}).get(signal, -1):
            self.last_at = {**(self.last_at or {}), signal: at_ms}

    def in_days(self, signal: str, days: int, skip: int = 0) -> int:
        """How many of `signal` in the `days` UTC days ending `skip` days before today."""
        last = day_of(clock.now_ms()) - skip
        return sum(n for d, n in (self.days or {}).get(signal, {}).items() if last - days < int(d) <= last)

    def latest(self, signal: str) -> int | None:
        return (self.last_at or {}).get(signal)

    @property
    def net_recorded(self) -> Decimal:
        """Purchases less refunds recorded through updateMemberSpend (and billing)."""
        return (self.purchase_total or Decimal(0)) - (self.refund_total or Decimal(0))


class MemberSpend(Item, discriminator="MEMBER_SPEND"):
    """A purchase or refund recorded under the caller's reference: a retry with it changes nothing."""

    client_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    kind = UnicodeAttribute()
    amount = DecimalAttribute()
    at = NumberAttribute()
    created_at = NumberAttribute()

    def keys(self):
        return {"PK": member_key(self.client_id, self.member_id), "SK": SPEND_PREFIX + self.reference}


class Replayed(Exception):
    """A spend reference is recorded already: the transaction that would record it again failed."""


def engagement(client_id: str, member_id: str) -> MemberEngagement:
    """The member's engagement inputs (a fresh, empty item at version 0 when none is stored)."""
    try:
        return MemberEngagement.get(member_key(client_id, member_id), ENGAGEMENT_SK)
    except MemberEngagement.DoesNotExist:
        return MemberEngagement(client_id=client_id, member_id=member_id, version=0)


def stage_engagement(tx: Tx, item: MemberEngagement) -> None:
    """Write the item in `tx` if nobody wrote it since it was read (else VersionConflict: read again)."""
    condition = MemberEngagement.PK.does_not_exist() if not item.version else \
        MemberEngagement.version == item.version
    item.version = int(item.version or 0) + 1
    tx.put(item, condition=condition, on_fail=VersionConflict())


def stage_event(tx: Tx, event: MemberActivity) -> None:
    tx.put(event)  # a fresh ULID in its key: nothing to overwrite


def stage_spend(tx: Tx, record: MemberSpend) -> None:
    """Record the reference in `tx`; Replayed if it is recorded already."""
    tx.put(record, condition=MemberSpend.PK.does_not_exist(), on_fail=Replayed())


def spend_record(client_id: str, member_id: str, reference: str) -> MemberSpend | None:
    try:
        return MemberSpend.get(member_key(client_id, member_id), SPEND_PREFIX + reference)
    except MemberSpend.DoesNotExist:
        return None


def events(client_id: str, member_id: str, *, limit: int, cursor: str | None = None) -> tuple[list, dict | None]:
    """A member's activity events, newest first (one query of its partition)."""
    return query.page(MemberActivity, member_key(client_id, member_id), limit=limit, cursor=cursor,
                      sk_begins=ACTIVITY_PREFIX, newest_first=True)
