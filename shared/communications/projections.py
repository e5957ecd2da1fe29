"""What communications add to the tenant's counters (the reports of shared.communications.reports) and
to the channel index (getCommunicationsByChannel).

Counters, each communication contributing by what it is now (a status move moves its counts):
- all time, `T#<c>#COUNTER#COMMSTATS`, 16 shards (every message of a big tenant writes it, several
  times on its way from queued to delivered), one BatchGetItem to read;
- per UTC day of created_at, `T#<c>#COUNTER#COMMDAY#<yyyy-mm-dd>`, 3 shards: a date range reads its
  days' items, at most reports.MAX_DAYS days (100 × 3 = 300 items: three BatchGetItems).
A communication's day never changes (created_at is set once), so it always counts in the same item.

Fields (all integers; money as micros, shared.core.money):
- `total`, `status_<status>`, `channel_<channel>`, `direction_<direction>`, `type_<message_type>`, and
  the same per channel (`<channel>:total`, `<channel>:status_<status>`...);
- per channel `<channel>:<figure>`: `outbound`, `inbound`; of the outbound ones `sent` (the provider took
  it: sent or any status after, bounced included), `delivered` (delivered, read, clicked or replied),
  `failed`, `bounced`, `opened` (read_at or clicked_at: a click implies an open), `clicked` (clicked_at),
  `replied` (replied_at), `cost_micros` and `segments`; `skipped` (the sender skipped it, no provider
  call: `provider_status` skipped) and `skipped_<reason>` per SKIP_REASONS (its error_code).
Every field is one of a closed set (8 channels, 8 statuses...), so a counter item stays small.

The channel index: one entry per communication, PK `T#<c>#COMMS#BYCHANNEL#<channel>`, SK
`<created_at, 15 digits>#<id>` (the order of GSI1), kept by the stream consumer (the table's three GSIs
are taken by the tenant list, the status list and the member list).

And the marketing messages each member was sent, per UTC day and channel
(`T#<c>#MEMBER#<member>#SENDS#<yyyy-mm-dd>`, SK COUNTER, a field per channel), which the sender's frequency
caps read (shared.messaging.caps): a week is seven of them, one BatchGetItem for a batch. A message counts
from the day it was sent while its status says it went (sent and after); one that ends failed or bounced,
or is not the member's, counts nothing. A member's day takes only that member's writes: not sharded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shared.communications.store import channel_partition, comms_partition, entry_sort
from shared.core.money import to_micros
from shared.db import projections
from shared.db.table import tenant_key

if TYPE_CHECKING:
    from collections.abc import Iterator

SHARDS, DAY_SHARDS = 16, 3
SENT = frozenset({"sent", "delivered", "read", "clicked", "replied", "bounced"})
DELIVERED = frozenset({"delivered", "read", "clicked", "replied"})
SKIP_REASONS = ("opted_out", "frequency_cap")  # the sender's error codes for a marketing send it skips
CATEGORIES = {"status": "status", "channel": "channel", "direction": "direction", "message_type": "type"}


def stats_key(client_id: str) -> str:
    return tenant_key(client_id, "COUNTER", "COMMSTATS")


def day_key(client_id: str, day: str) -> str:
    """The counter of the communications created on one UTC day (`yyyy-mm-dd`)."""
    return tenant_key(client_id, "COUNTER", "COMMDAY", day)


def day_of(epoch_ms: int | float) -> str:
    return datetime.fromtimestamp(int(epoch_ms) / 1000, UTC).strftime("%Y-%m-%d")


def figures(comm: dict) -> dict[str, int]:
    """What one communication adds to a counter (the fields of the module docstring)."""
    contribution = projections.tally(comm, "-", CATEGORIES)
    if not contribution:
        return {}
    fields = contribution["-"]
    channel, status = comm["channel"], comm["status"]
    fields.update({f"{channel}:{name}": 1 for name in list(fields) if not name.startswith("channel_")})
    if comm.get("direction") == "inbound":
        fields[f"{channel}:inbound"] = 1
        return fields
    outbound = {"outbound": True, "sent": status in SENT, "delivered": status in DELIVERED,
                "failed": status == "failed", "bounced": status == "bounced",
                "opened": bool(comm.get("read_at") or comm.get("clicked_at")),
                "clicked": bool(comm.get("clicked_at")), "replied": bool(comm.get("replied_at"))}
    if comm.get("provider_status") == "skipped":
        reason = comm.get("error_code")
        outbound.update({"skipped": True, **({f"skipped_{reason}": True} if reason in SKIP_REASONS else {})})
    fields.update({f"{channel}:{name}": 1 for name, yes in outbound.items() if yes})
    amounts = {"cost_micros": to_micros(comm["cost"]) if comm.get("cost") is not None else 0,
               "segments": int(comm.get("segments") or 0)}
    fields.update({f"{channel}:{name}": n for name, n in amounts.items() if n})
    return fields


@projections.counter("COMM", "comm-stats", shards=SHARDS)
def comm_stats(comm: dict) -> projections.Contribution:
    """The tenant's all-time communication counter."""
    found = figures(comm)
    return {stats_key(comm["client_id"]): found} if found else {}


@projections.counter("COMM", "comm-days", shards=DAY_SHARDS)
def comm_days(comm: dict) -> projections.Contribution:
    """The counter of the UTC day the communication was created on."""
    found = figures(comm)
    return {day_key(comm["client_id"], day_of(comm["created_at"])): found} if found else {}


@projections.search_index("COMM", "comm-channel")
def comm_channel(comm: dict) -> set[tuple[str, str]]:
    """The communication's entry in its channel's list."""
    if comm.get("deleted_at"):
        return set()
    return {(channel_partition(comm["client_id"], comm["channel"]), entry_sort(comm["created_at"], comm["id"]))}


WENT = frozenset({"sent", "delivered", "read", "clicked", "replied"})


def member_sends_key(client_id: str, member_id: str, day: str) -> str:
    """The counter of a member's marketing messages sent on a UTC day (`yyyy-mm-dd`)."""
    return tenant_key(client_id, "MEMBER", member_id, "SENDS", day)


@projections.counter("COMM", "member-marketing-sends")
def member_sends(image: dict) -> projections.Contribution:
    """A member's marketing message, on the UTC day it was sent (the frequency caps' count)."""
    if (image.get("message_type") != "marketing" or image.get("direction") != "outbound"
            or not image.get("member_id") or image.get("status") not in WENT or not image.get("sent_at")):
        return {}
    key = member_sends_key(image["client_id"], image["member_id"], day_of(int(image["sent_at"])))
    return {key: {image["channel"]: 1}}


@projections.counted_items("COMM")
def communications(client_id: str | None) -> Iterator[dict]:
    """Every communication of the tenant (its GSI1 list; communications are never deleted)."""
    if client_id is not None:
        yield from projections.query_images(comms_partition(client_id), index="GSI1")
