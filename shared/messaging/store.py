"""The send pipeline's own items: consent per recipient, and sends parked until a due time.

Consent is kept per tenant, channel and address (`T#c#CONSENT#<channel>#<address>`): `SK = STATE`
holds what is in effect now (one GetItem before a marketing send), and every change adds a record
`SK = RECORD#<at>#<id>` beside it in the same transaction — timestamped, with its source, keyword,
sender and channel: the proof of consent, not just a flag.

A parked send (`T#c#PARKED_SEND#<communication>#<attempt>`, SK `PARKED`) is a message that must wait
longer than SQS's 15-minute delay (quiet hours overnight). It is in the due index of every tenant's
parked sends (shared/db/due.py: GSI1 `P#DUE#PARKED_SEND#<shard>`, ordered by due time), where the sweeper
finds the due ones with one range query per shard, however many tenants there are, queues them again
and deletes them. (A partition per tenant cost a query per tenant every minute: at 1,000 tenants, 1,000
queries a minute to find nothing.)

A sender's bucket (`T#c#SENDER_BUCKET#<address>`, or `P#SENDER_BUCKET#<address>` for a sender the
platform shares between tenants; SK `BUCKET`) holds the clock seconds the sender's sends are booked into
(shared.messaging.pacing): one conditional put per batch, on the version read or last written.

| access pattern | index | key condition |
|---|---|---|
| a sender's bucket (pacing) | table | PK = `T#c#SENDER_BUCKET#<address>` / `P#SENDER_BUCKET#<address>`, SK = `BUCKET` |
| consent in effect for an address | table | PK = `T#c#CONSENT#<channel>#<address>`, SK = `STATE` |
| an address's consent records, oldest first | table | PK as above, SK begins_with `RECORD#` |
| a tenant's opt-out records, newest first (getOptOutRequests) | GSI1 (sparse) | GSI1PK = `T#c#OPT_OUTS`, GSI1SK = `<at>#<id>` |
| every tenant's sends due by now (the sweeper) | GSI1 | GSI1PK = `P#DUE#PARKED_SEND#<shard>` (4 shards), GSI1SK <= `<due ms>~` |
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

from shared import clock
from shared.db import due, query
from shared.db.table import Item, platform_key, tenant_key
from shared.db.tx import Tx
from shared.db.writes import applied
from shared.ids import new_id


def _ms(value: float) -> str:
    return f"{int(value):015d}"


def consent_key(client_id: str, channel: str, address: str) -> str:
    return tenant_key(client_id, "CONSENT", channel, address)


class ConsentState(Item, discriminator="CONSENT"):
    client_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    address = UnicodeAttribute()
    opted_out = BooleanAttribute()
    changed_at = NumberAttribute()

    def keys(self):
        return {"PK": consent_key(self.client_id, self.channel, self.address), "SK": "STATE"}


class ConsentRecord(Item, discriminator="CONSENT_RECORD"):
    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    address = UnicodeAttribute()
    action = UnicodeAttribute()  # opt_out | opt_in
    source = UnicodeAttribute()  # provider_error | inbound_keyword | email_event
    keyword = UnicodeAttribute(null=True)
    sender = UnicodeAttribute(null=True)
    at = NumberAttribute()

    def keys(self):
        keys = {"PK": consent_key(self.client_id, self.channel, self.address), "SK": f"RECORD#{_ms(self.at)}#{self.id}"}
        if self.action == "opt_out":  # getOptOutRequests: a sparse list of the tenant's opt-outs
            keys.update(GSI1PK=opt_outs_partition(self.client_id), GSI1SK=f"{_ms(self.at)}#{self.id}")
        return keys

    def public(self) -> dict:
        return {"id": self.id, "client_id": self.client_id, "channel": self.channel, "address": self.address,
                "action": self.action, "source": self.source, "keyword": self.keyword, "sender": self.sender,
                "at": self.at}


def opt_outs_partition(client_id: str) -> str:
    return tenant_key(client_id, "OPT_OUTS")


def opt_outs(client_id: str, limit: int, cursor: str | None) -> tuple[list[ConsentRecord], dict | None]:
    """The tenant's opt-out records, newest first (getOptOutRequests): one query."""
    return query.page(ConsentRecord, opt_outs_partition(client_id), index="GSI1", limit=limit, cursor=cursor,
                      newest_first=True)


def consent_of(client_id: str, channel: str, address: str) -> ConsentState | None:
    try:
        return ConsentState.get(consent_key(client_id, channel, address), "STATE")
    except ConsentState.DoesNotExist:
        return None


def record_consent(client_id: str, channel: str, address: str, *, opted_out: bool, source: str,
                   keyword: str | None = None, sender: str | None = None) -> ConsentRecord:
    """The new state and its record, in one transaction."""
    now = clock.now_ms()
    record = ConsentRecord(id=new_id(), client_id=client_id, channel=channel, address=address,
                           action="opt_out" if opted_out else "opt_in", source=source, keyword=keyword,
                           sender=sender, at=now)
    tx = Tx()
    tx.put(ConsentState(client_id=client_id, channel=channel, address=address, opted_out=opted_out, changed_at=now))
    tx.put(record)
    tx.commit()
    return record


def consent_records(client_id: str, channel: str, address: str, limit: int = 100) -> list[ConsentRecord]:
    found, _ = query.page(ConsentRecord, consent_key(client_id, channel, address), limit=limit, sk_begins="RECORD#")
    return found


PARKED = "PARKED_SEND"


class ParkedSend(Item, discriminator=PARKED):
    client_id = UnicodeAttribute()
    communication_id = UnicodeAttribute()
    attempt = NumberAttribute()
    body = UnicodeAttribute()  # the send queue's message, as it will be queued again
    due_at = NumberAttribute()
    reason = UnicodeAttribute()

    def keys(self):
        pk = tenant_key(self.client_id, "PARKED_SEND", self.communication_id, str(int(self.attempt)))
        return {"PK": pk, "SK": "PARKED", "GSI1PK": due.partition(PARKED, pk),
                "GSI1SK": due.sort_key(self.due_at, f"{self.communication_id}#{int(self.attempt)}")}


def park(client_id: str, communication_id: str, attempt: int, body: str, due_at: int, reason: str) -> None:
    """Keep a message until `due_at` (a copy parked again replaces it: one per attempt)."""
    ParkedSend(client_id=client_id, communication_id=communication_id, attempt=attempt, body=body, due_at=due_at,
               reason=reason).save()


def due_parked(until_ms: int, limit: int) -> list[ParkedSend]:
    """Every tenant's parked sends due by `until_ms`, at most `limit` per shard, soonest first in each."""
    return due.due_items(ParkedSend, PARKED, index="GSI1", now_ms=until_ms, limit=limit)


def bucket_key(client_id: str, address: str, shared: bool) -> str:
    return platform_key("SENDER_BUCKET", address) if shared else tenant_key(client_id, "SENDER_BUCKET", address)


class SenderBucket(Item, discriminator="SENDER_BUCKET"):
    """A sender's booked seconds: `full_until` (every second from now up to it is full), `windows` (second →
    {"*": sends booked, <tenant>: that tenant's}) for the seconds after it, `active` (tenant → the last
    second it booked: who shares the sender now)."""

    pk = UnicodeAttribute()
    full_until = NumberAttribute()
    windows = JSONAttribute()
    active = JSONAttribute()
    waiting = JSONAttribute(null=True)  # tenant → the second its sends waiting for room reach (shared senders)
    version = NumberAttribute()

    def keys(self):
        return {"PK": self.pk, "SK": "BUCKET"}


def read_bucket(pk: str) -> SenderBucket | None:
    try:
        return SenderBucket.get(pk, "BUCKET", consistent_read=True)
    except SenderBucket.DoesNotExist:
        return None


def write_bucket(bucket: SenderBucket, seen_version: int | None) -> bool:
    """Put the bucket if nobody wrote it since `seen_version` (None: it did not exist). False: someone did."""
    condition = SenderBucket.PK.does_not_exist() if seen_version is None else SenderBucket.version == seen_version
    return applied(lambda: bucket.save(condition=condition))
