"""The communications store: the only code that knows how a communication is keyed and how its status
and send state move.

A communication is one message of one tenant (`T#<client>#COMM#<id>`, SK `COMM`), keyed by a ULID.

Status moves forward only: queued → sent → delivered → read → clicked → replied (any step may be
skipped), and failed / bounced are terminal. Every move is one UpdateItem whose condition is "the
status is one of those before the new one", so a late or duplicated callback never moves a status
back, whatever order the writes land in; each move appends to `status_history` on the item itself.

The send state (hidden): `send_attempt` (the provider attempts taken so far) and `lease_until` (epoch
ms, while an attempt is in flight). The sender takes attempt n with one conditional UpdateItem
(status queued, send_attempt = n - 1, no lease, provider_status not `unknown`) that answers the item
itself, so a redelivered or duplicated SQS message finds the attempt taken and sends nothing. Every
pipeline write adds 1 to `version`, so an operator's audited update (conditional on the version it
read) re-reads instead of overwriting it.

| access pattern                                   | index | key condition                                              |
|--------------------------------------------------|-------|------------------------------------------------------------|
| communication by id                              | table | PK = `T#c#COMM#<id>`, SK = `COMM`                          |
| a tenant's communications, newest first (getCommunications) | GSI1 | GSI1PK = `T#c#COMMS`, GSI1SK = `<created_at>#<id>` |
| by status, newest first (getCommunications?status=) | GSI2 | GSI2PK = `T#c#COMMS#STATUS#<status>`, GSI2SK as GSI1SK |
| a member's communications, newest first (getCommunicationsByMember) | GSI3 | GSI3PK = `T#c#MEMBER#<member>#COMMS`, GSI3SK as GSI1SK |
| a channel's communications, newest first (getCommunicationsByChannel) | table (channel index) | PK = `T#c#COMMS#BYCHANNEL#<channel>`, SK = `<created_at>#<id>`, then BatchGetItem of the communications |

The channel index is kept by the stream consumer (shared.communications.projections): it lags a write
by the stream's delay, and a list checks every communication it reads, so an entry never answers wrongly.
Direction and status filters are applied in code to one of these within the read budget.

`retryable` (hidden) marks a failure that spent its attempts on transient errors (the sender sets it);
a permanent refusal (21211, 21610...), a skipped opt-out and a reported failure never have it, so
retryFailedCommunications leaves them alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from shared import clock
from shared.db.attributes import DecimalAttribute
from shared.db.table import tenant_key
from shared.db.writes import applied
from shared.entity import Entity, EntityStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from pynamodb.expressions.update import Action

# The forward order of statuses; failed and bounced are terminal and come after no status but these.
ORDER = ("queued", "sent", "delivered", "read", "clicked", "replied")
TERMINAL = {"failed": ("queued", "sent"), "bounced": ("queued", "sent", "delivered")}
STATUSES = (*ORDER, *TERMINAL)
# When each status was reached, in the seed's field names.
REACHED_AT = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at", "clicked": "clicked_at",
              "replied": "replied_at"}
UNKNOWN = "unknown"  # provider_status of an attempt whose outcome the provider did not confirm
SENDING, RETRYING = "sending", "retrying"


def predecessors(status: str) -> tuple[str, ...]:
    """The statuses a communication may move to `status` from."""
    if status in TERMINAL:
        return TERMINAL[status]
    return ORDER[:ORDER.index(status)]


def comm_key(client_id: str, comm_id: str) -> str:
    return tenant_key(client_id, "COMM", comm_id)


def comms_partition(client_id: str, *parts: str) -> str:
    return tenant_key(client_id, "COMMS", *parts)


def status_partition(client_id: str, status: str) -> str:
    return comms_partition(client_id, "STATUS", status)


def member_partition(client_id: str, member_id: str) -> str:
    return tenant_key(client_id, "MEMBER", member_id, "COMMS")


def channel_partition(client_id: str, channel: str) -> str:
    """The channel index's partition of one channel (its entries are kept by the stream consumer)."""
    return comms_partition(client_id, "BYCHANNEL", channel)


def _ms(value: float) -> str:
    return f"{int(value):015d}"


def entry_sort(created_at: float, comm_id: str) -> str:
    """The sort key of a communication in its lists: `<created_at, 15 digits>#<id>`."""
    return f"{_ms(created_at)}#{comm_id}"


class Communication(Entity, discriminator="COMM"):
    what, resource = "communication", "communications"
    hidden = frozenset({"send_attempt", "lease_until", "retryable", "held_reports"})
    secret_fields = frozenset({"sealed_content"})  # an account email's text, with its link (account_emails)

    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    direction = UnicodeAttribute()
    to_number = UnicodeAttribute(null=True)
    from_number = UnicodeAttribute(null=True)
    to_email = UnicodeAttribute(null=True)
    from_email = UnicodeAttribute(null=True)
    content = UnicodeAttribute()
    html = UnicodeAttribute(null=True)  # an email's html body, when it fits the item (else in content_ref)
    content_ref = JSONAttribute(null=True)  # an email body stored in S3 (shared.communications.attachments)
    sealed_content = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    message_type = UnicodeAttribute(null=True)
    template_id = UnicodeAttribute(null=True)
    campaign_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    provider = UnicodeAttribute()
    provider_id = UnicodeAttribute(null=True)
    provider_status = UnicodeAttribute(null=True)
    provider_response = JSONAttribute(null=True)
    cost = DecimalAttribute(null=True)
    segments = NumberAttribute(null=True)
    media_urls = ListAttribute(of=UnicodeAttribute, null=True)
    attachments = JSONAttribute(null=True)  # references to the files in S3, never their content
    error_message = UnicodeAttribute(null=True)
    error_code = UnicodeAttribute(null=True)
    retry_count = NumberAttribute(null=True)
    metadata = JSONAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    member_id = UnicodeAttribute(null=True)
    sent_at = NumberAttribute(null=True)
    delivered_at = NumberAttribute(null=True)
    read_at = NumberAttribute(null=True)
    clicked_at = NumberAttribute(null=True)
    replied_at = NumberAttribute(null=True)
    status_history: ListAttribute[Any] = ListAttribute(null=True)  # [{status, at, ...}]: the pipeline's moves, in order
    send_attempt = NumberAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    retryable = BooleanAttribute(null=True)
    # Provider reports that came while the send was not recorded yet (hold): applied once it is.
    held_reports: ListAttribute[Any] = ListAttribute(null=True)

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        return comm_key(tenant or "", item_id), "COMM"

    def public(self) -> dict:
        """As the API and the exports show it: references without their S3 keys."""
        out = super().public()
        if out.get("attachments"):
            out["attachments"] = [{k: v for k, v in ref.items() if k != "key"} for ref in out["attachments"]]
        if out.get("content_ref"):
            out["content_ref"] = {k: v for k, v in out["content_ref"].items() if k != "key"}
        return out

    def keys(self):
        created = entry_sort(self.created_at, self.id)
        return {"PK": comm_key(self.client_id, self.id), "SK": "COMM",
                "GSI1PK": comms_partition(self.client_id), "GSI1SK": created,
                "GSI2PK": status_partition(self.client_id, self.status), "GSI2SK": created,
                "GSI3PK": member_partition(self.client_id, self.member_id) if self.member_id else None,
                "GSI3SK": created if self.member_id else None}


comms = EntityStore(Communication)


def get(client_id: str, comm_id: str) -> Communication:
    return comms.get(client_id, comm_id)


def find(client_id: str, comm_id: str) -> Communication | None:
    """The communication, or None (the sender's read: a message about an item that is gone is dropped)."""
    try:
        return Communication.get(*Communication.key(client_id, comm_id), consistent_read=True)
    except Communication.DoesNotExist:
        return None


def history_entry(status: str, **details: Any) -> dict:
    """One line of `status_history`: what happened, when (clock ms), and its details (None left out)."""
    return {"status": status, "at": clock.now_ms(), **{k: v for k, v in details.items() if v is not None}}


def list_all(client_id: str, *, keep: Callable[[Communication], bool] | None, limit: int,
             cursor: str | None) -> tuple[list[Communication], dict | None]:
    return comms.page(comms_partition(client_id), index="GSI1", limit=limit, cursor=cursor, keep=keep)


def list_by_status(client_id: str, status: str, *, keep: Callable[[Communication], bool] | None, limit: int,
                   cursor: str | None) -> tuple[list[Communication], dict | None]:
    return comms.page(status_partition(client_id, status), index="GSI2", limit=limit, cursor=cursor, keep=keep)


def list_by_member(client_id: str, member_id: str, *, keep: Callable[[Communication], bool] | None, limit: int,
                   cursor: str | None) -> tuple[list[Communication], dict | None]:
    return comms.page(member_partition(client_id, member_id), index="GSI3", limit=limit, cursor=cursor, keep=keep)


def list_by_channel(client_id: str, channel: str, *, keep: Callable[[Communication], bool] | None, limit: int,
                    cursor: str | None) -> tuple[list[Communication], dict | None]:
    """A channel's communications, newest first: its index entries, then the items (one BatchGetItem a
    chunk), each checked against the channel (an entry may lag its item) and `keep`."""
    from shared.db import query
    from shared.db.projections import SearchToken

    def load(rows: list) -> list[Communication | None]:
        ids = [row.SK.rpartition("#")[2] for row in rows]
        found = {c.id: c for c in comms.batch_get(client_id, ids)}
        return [found.get(i) for i in ids]

    return query.chunked_page(SearchToken, channel_partition(client_id, channel), limit=limit, cursor=cursor,
                              newest_first=True, load=load,
                              keep=lambda c: c.channel == channel and (keep is None or keep(c)))


# --- the pipeline's writes: one conditional UpdateItem each, never audited (entities.md: the audit log is
# for what people do; the communication's own history records what the pipeline did) -----------------------
def _write(client_id: str, comm_id: str, fields: dict[str, Any], condition, entry: dict,
           status: str | None = None) -> Communication | None:
    """Set `fields` (None removes one), move to `status` when given, append `entry` to the history, add 1
    to the version: all on `condition`. The item as written, or None when the condition did not hold."""
    C = Communication
    item = C(*C.key(client_id, comm_id))
    actions: list[Action] = [C.updated_at.set(clock.now_ms()), C.version.add(1),
               C.status_history.set((C.status_history | []).append([entry]))]
    if status is not None:
        actions += [C.status.set(status), C.GSI2PK.set(status_partition(client_id, status))]
        if status in REACHED_AT:
            fields = {REACHED_AT[status]: clock.now_ms(), **fields}
    for name, value in fields.items():
        attr = getattr(C, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    condition = C.PK.exists() & condition
    return item if applied(lambda: item.update(actions=actions, condition=condition)) else None


def take_attempt(client_id: str, comm_id: str, attempt: int, lease_ms: int) -> Communication | None:
    """Move a queued communication to `sending` for provider attempt `attempt`, leased until now +
    `lease_ms`: only when the attempt before it is the last one taken, none is in flight and no earlier
    outcome is unconfirmed. The item (read in the same call), or None: the attempt is not this caller's."""
    C = Communication
    condition = ((C.status == "queued") & (C.send_attempt == attempt - 1) & C.lease_until.does_not_exist()
                 & (C.provider_status.does_not_exist() | (C.provider_status != UNKNOWN)))
    return _write(client_id, comm_id, {"send_attempt": attempt, "lease_until": clock.now_ms() + lease_ms,
                                       "provider_status": SENDING, "retry_count": attempt - 1},
                  condition, history_entry(SENDING, attempt=attempt))


def _attempt_is(attempt: int, provider_status: str):
    C = Communication
    return (C.status == "queued") & (C.send_attempt == attempt) & (C.provider_status == provider_status)


def record_outcome(client_id: str, comm_id: str, attempt: int, *, status: str | None, provider_status: str,
                   fields: dict[str, Any], note: str, expect: str = SENDING,
                   lease: int | None = None) -> Communication | None:
    """Record what attempt `attempt` came to (the lease freed): sent, failed, retrying or unknown. Only while
    that attempt is still the item's and in the state `expect` (`sending`; `unknown` when settling one;
    with `lease`, only that very lease: an expired one taken over)."""
    C = Communication
    condition = _attempt_is(attempt, expect)
    if lease is not None:
        condition = condition & (C.lease_until == lease)
    item = _write(client_id, comm_id, {"provider_status": provider_status, "lease_until": None, **fields},
                  condition, history_entry(status or provider_status, attempt=attempt, note=note), status=status)
    if item is not None and status is not None and item.held_reports:
        _apply_held(item)
    return item


def hold(client_id: str, comm_id: str, report: dict) -> bool:
    """Keep a provider's report (`{"status", "fields", "note"}`) on a communication whose send is not
    recorded yet (queued, its attempt in flight or being retried): applied by `record_outcome` once the
    send is. False when the communication is no longer waiting for its send (apply the report instead)."""
    C = Communication
    item = C(*C.key(client_id, comm_id))
    condition = C.PK.exists() & (C.status == "queued") & (C.provider_status.does_not_exist()
                                                          | (C.provider_status != UNKNOWN))
    return applied(lambda: item.update(actions=[C.held_reports.set((C.held_reports | []).append([report]))],
                                       condition=condition))


def _apply_held(item: Communication) -> None:
    """The reports held while the send was in flight, each moved forward as if it came now (a report
    behind the recorded status moves nothing), then forgotten."""
    for report in item.held_reports or []:
        advance(item.client_id, item.id, report["status"], dict(report.get("fields") or {}),
                f"{report.get('note') or 'a provider report'} (held until the send was recorded)")
    # None can be held meanwhile: hold() needs the status queued, and the send is recorded.
    C = Communication
    applied(lambda: item.update(actions=[C.held_reports.remove()], condition=C.PK.exists()))


def advance(client_id: str, comm_id: str, status: str, fields: dict[str, Any], note: str) -> Communication | None:
    """Move the status forward to `status` (a provider's report): None when it is there or past it already."""
    return _write(client_id, comm_id, fields, Communication.status.is_in(*predecessors(status)),
                  history_entry(status, note=note), status=status)
