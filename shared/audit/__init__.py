"""The one audit writer: every mutation adds an entry to its own transaction (who, what, when,
changed fields before/after with secrets redacted), and the readers of the log.

Where entries live (ACCESS_PATTERNS.md):
- the tenant's log, sharded by UTC day: `PK = T#<c>#AUDIT#<yyyy-mm-dd>`, `SK = <at>#<id>`, so an
  import or a campaign does not pile every write of a tenant onto one partition for ever;
- by item (GSI1 `T#<c>#AUDIT#<entity>#<id>`) and by actor (GSI2 `T#<c>#AUDITBY#<user>`): these are
  spread by item and by actor already, so they are not sharded and read as one partition.
One reader per read pattern, each returning (entries, cursor key): `tenant_feed` (getClientActivity)
walks the day shards newest first, `actor_feed` (getUserActivity) reads GSI2; the export reads
`day_shards` in turn, oldest first.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import UnicodeAttribute

from shared import clock
from shared.core.cursor import decode_cursor
from shared.db import query
from shared.db.table import Item, platform_key, tenant_key
from shared.errors import ValidationFailed
from shared.ids import new_id

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from shared.db.tx import Tx

REDACTED = "[redacted]"


class AuditEntry(Item, discriminator="AUDIT"):
    id = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    actor_id = UnicodeAttribute(null=True)
    actor_role = UnicodeAttribute(null=True)
    entity_type = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    operation = UnicodeAttribute()
    changes = UnicodeAttribute(default="{}")  # JSON: {field: {"before": .., "after": ..}}
    reason = UnicodeAttribute(null=True)  # why, when the operation asks for one (a tier moved down)
    at = UnicodeAttribute()  # epoch ms, zero-padded so it sorts as text

    def keys(self):
        scope = (lambda *p: tenant_key(self.client_id, *p)) if self.client_id else platform_key
        sort = f"{self.at}#{self.id}"
        return {
            "PK": scope("AUDIT", day_of(int(self.at))), "SK": sort,
            "GSI1PK": scope("AUDIT", self.entity_type, self.entity_id), "GSI1SK": sort,
            "GSI2PK": scope("AUDITBY", self.actor_id or "system"), "GSI2SK": sort,
        }


class Sealed:
    """A secret's value in a snapshot: equal to the same value sealed (so a change is seen), written
    to the log only as REDACTED."""

    __slots__ = ("_value",)

    def __init__(self, value: Any):
        self._value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other._value == self._value

    def __hash__(self) -> int:
        return hash(Sealed)

    def __repr__(self) -> str:
        return REDACTED


def snapshot(item: Item, conceal: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The item as its audit entries see it: what the API shows, plus each secret field it holds
    (declared by its model's `secret_fields`) and each field named in `conceal`, sealed."""
    view = item.public()
    for name in (*item.secret_fields, *sorted(conceal)):
        value = item.attribute_values.get(name)
        if value is not None:
            view[name] = Sealed(value)
    return view


def changed_fields(before: dict | None, after: dict | None) -> dict[str, dict[str, Any]]:
    """Fields whose value differs, each as {"before", "after"}; secrets redacted, not omitted."""
    before, after = before or {}, after or {}
    out = {}
    for name in sorted(set(before) | set(after)):
        if name in ("version", "updated_at"):
            continue
        old, new = before.get(name), after.get(name)
        if old != new:
            out[name] = {"before": REDACTED if isinstance(old, Sealed) else old,
                         "after": REDACTED if isinstance(new, Sealed) else new}
    return out


def record(tx: Tx, actor, entity_type: str, entity_id: str, operation: str,
           before: dict | None = None, after: dict | None = None, client_id: str | None = None,
           reason: str | None = None) -> None:
    """Add the audit entry for one mutation to `tx` (so it commits with the mutation or not at all)."""
    tenant = client_id if client_id is not None else getattr(actor, "tenant", None)
    tx.put(AuditEntry(
        id=new_id(), client_id=tenant, actor_id=getattr(actor, "user_id", None),
        actor_role=getattr(actor, "role", None), entity_type=entity_type, entity_id=entity_id,
        operation=operation, at=f"{clock.now_ms():015d}",
        changes=json.dumps(changed_fields(before, after), default=str, separators=(",", ":")), reason=reason,
    ))


def view(entry: AuditEntry) -> dict:
    """An entry as the API shows it (secrets were redacted when it was written)."""
    return {"id": entry.id, "at": int(entry.at), "actor_id": entry.actor_id, "actor_role": entry.actor_role,
            "entity_type": entry.entity_type, "entity_id": entry.entity_id, "operation": entry.operation,
            "changes": json.loads(entry.changes), **({"reason": entry.reason} if entry.reason else {})}


def item_entries(client_id: str, entity_type: str, entity_id: str) -> Iterator[AuditEntry]:
    """Every entry about one item, oldest first (GSI1, one partition per item): for privacy requests."""
    yield from AuditEntry.gsi1.query(tenant_key(client_id, "AUDIT", entity_type, entity_id))


def redact(entry: AuditEntry, fields: frozenset[str]) -> bool:
    """Replace the values `fields` had and took in an entry by REDACTED (an erased member's past
    values); the entry keeps who did what and when. False if it held none of them."""
    changes = json.loads(entry.changes)
    held = {name for name in fields & set(changes)
            if any(changes[name].get(side) not in (None, REDACTED) for side in ("before", "after"))}
    if not held:
        return False
    for name in held:
        changes[name] = {side: REDACTED if value is not None else None for side, value in changes[name].items()}
    entry.update(actions=[AuditEntry.changes.set(json.dumps(changes, default=str, separators=(",", ":")))])
    return True


# --- reading ------------------------------------------------------------------------------------
def day_of(at_ms: int) -> str:
    """The UTC day an entry is filed under: `yyyy-mm-dd`."""
    return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%d")


def day_shard(client_id: str, day: str) -> str:
    """The partition of a tenant's entries of one day."""
    return tenant_key(client_id, "AUDIT", day)


def tenant_feed(client_id: str, *, since_ms: int, limit: int, cursor: str | None,
                keep: Callable[[AuditEntry], bool] | None = None) -> tuple[list[AuditEntry], dict | None]:
    """getClientActivity: the tenant's entries, newest first, from today's shard back to the day of
    `since_ms` (the tenant's creation: no entry is older). A page inside one day is one query; a
    page that crosses days reads the next shard, an empty day costs one query, and a page stops at
    query.MAX_CALLS queries with a cursor naming the day (and key) to go on from."""
    after = decode_cursor(cursor)
    now = clock.now_ms()
    today, first = _day(day_of(now)), _day(day_of(min(since_ms, now)))
    start = _cursor_day(client_id, after) if after is not None else today
    if start > today + timedelta(days=1):  # no page of ours goes on from a day to come (a day of clock skew aside)
        raise ValidationFailed("cursor belongs to another listing", field="/query/cursor")
    shards = (day_shard(client_id, d.isoformat()) for d in _days(start, first, -1))
    return query.walk(AuditEntry, shards, limit=limit, after=after, newest_first=True, keep=keep)


def actor_feed(client_id: str | None, actor_id: str, *, limit: int, cursor: str | None,
               keep: Callable[[AuditEntry], bool] | None = None) -> tuple[list[AuditEntry], dict | None]:
    """getUserActivity: what one actor did in a tenant, newest first (GSI2, one partition per actor)."""
    scope = tenant_key(client_id, "AUDITBY", actor_id) if client_id else platform_key("AUDITBY", actor_id)
    return query.page(AuditEntry, scope, index="GSI2", limit=limit, cursor=cursor, newest_first=True, keep=keep)


def day_shards(client_id: str, since_ms: int) -> list[str]:
    """The tenant's day shards, oldest first: from the day of `since_ms` (its creation) to today.
    Only days are added at the end as time goes on, so a shard keeps its place in the list."""
    first, today = _day(day_of(since_ms)), _day(day_of(clock.now_ms()))
    return [day_shard(client_id, d.isoformat()) for d in _days(first, today, 1)]


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _days(start: date, end: date, step: int) -> Iterator[date]:
    """Days from `start` to `end` inclusive, going back (step -1) or forwards (step 1)."""
    day = start
    while (day >= end) if step < 0 else (day <= end):
        yield day
        day += timedelta(days=step)


def _cursor_day(client_id: str, after: dict) -> date:
    """The day a cursor names; 400 unless it is one of this tenant's day shards."""
    prefix = day_shard(client_id, "")
    pk, sk = after.get("PK"), after.get("SK")
    try:
        if not (isinstance(pk, str) and pk.startswith(prefix) and set(after) <= {"PK", "SK"}
                and (sk is None or isinstance(sk, str))):
            raise ValueError(pk)
        day = _day(pk[len(prefix):])
        if day.isoformat() != pk[len(prefix):]:  # only the spelling the writer uses names a shard
            raise ValueError(pk)
        return day
    except ValueError:
        raise ValidationFailed("cursor belongs to another listing", field="/query/cursor") from None
