"""Communication operations (entities.md §4), with the rights of the rights table.

Every route declares `tenant="required"` (a super_admin names the tenant); another tenant's
communication or member is simply not found there (404). Members are read through
`shared.members.service`, the tenant's senders through `shared.settings.service`.

Rules:
- createCommunication sends sms, mms, voice (a call that says the content, then plays media_urls),
  email, webhook (an outbound webhook `communication.webhook` to the tenant's subscribed endpoints) and
  conversation (posted into the tenant's open conversation `metadata.conversation_sid`): written `queued`, then queued for the sender
  (shared.messaging). It goes to the address given, else the member's phone or email; from the sender
  given, else the tenant's `sms.default_sender` / `email.default_from`. Nothing to send to, or from,
  is a 422 naming the field; a channel no provider sends yet is a 422 naming `/body/channel`.
- An email may carry html and attachments: the files (and a body too large for the item) are written to S3
  first and the item keeps references (shared.communications.attachments); S3 refusing one is a 503, no item.
- logSMS, logEmail and logMMS record messages sent or received elsewhere: never sent.
- Status moves forward only (store.predecessors): updateCommunicationStatus refuses a move back or
  out of a final status with 409 naming `/body/status`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shared.communications import store
from shared.core.paging import page
from shared.errors import AppError, Conflict, NotFound, Unavailable, Unprocessable, ValidationFailed
from shared.ids import new_id

if TYPE_CHECKING:
    from shared.core.actor import Scope

SENT_THROUGH = {"sms": "twilio", "mms": "twilio", "voice": "twilio", "email": "sendgrid", "webhook": "other",
                "conversation": "twilio"}
CONVERSATION_FIELD = "/body/metadata/conversation_sid"  # channel → the provider that sends it


def _view(item: store.Communication) -> dict:
    return item.public()


def get_communication(scope: Scope, comm_id: str) -> dict:
    """getCommunicationById."""
    return store.get(scope.tenant_required(), comm_id).public()


def _filter(q: Any, names: tuple[str, ...]):
    wanted = {name: getattr(q, name) for name in names if getattr(q, name, None)}
    if not wanted:
        return None
    return lambda c: all(getattr(c, name) == value for name, value in wanted.items())


def list_communications(scope: Scope, q: Any) -> dict:
    """getCommunications: newest first; by status through its index, channel and direction within the read
    budget."""
    tenant = scope.tenant_required()
    keep = _filter(q, ("channel", "direction"))
    if q.status:
        items, last = store.list_by_status(tenant, q.status, keep=keep, limit=q.limit, cursor=q.cursor)
    else:
        items, last = store.list_all(tenant, keep=keep, limit=q.limit, cursor=q.cursor)
    return page(items, last, _view)


def member_communications(scope: Scope, member_id: str, q: Any) -> dict:
    """getCommunicationsByMember: the member's messages, newest first, by status and channel."""
    from shared.members import service as members

    members.get_member(scope, member_id)  # 404 for a member that is not the tenant's
    items, last = store.list_by_member(scope.tenant_required(), member_id, keep=_filter(q, ("status", "channel")),
                                       limit=q.limit, cursor=q.cursor)
    return page(items, last, _view)


def _member(scope: Scope, member_id: str | None) -> dict:
    from shared.members import service as members

    if member_id is None:
        return {}
    try:
        return members.get_member(scope, member_id)
    except NotFound:
        raise ValidationFailed("member_id names no member of this client", field="/body/member_id") from None


def _phone(tenant: str, raw: str | None, field: str) -> str | None:
    from shared.members.service import to_e164

    return to_e164(raw, tenant, field=field) if raw else None


def _sender(tenant: str, channel: str, given: str | None) -> str:
    """The number or address a message goes out from: the one given, else the tenant's setting."""
    if given:
        return given
    from shared.settings.service import effective

    key, field = ("email.default_from", "/body/from_email") if channel == "email" else \
        ("sms.default_sender", "/body/from_number")
    found = effective(tenant, key)
    if not found:
        raise Unprocessable(f"no sender: give {field.rsplit('/', 1)[-1]} or set the client's {key} setting",
                            field=field)
    return found


TEXT_CHARS = 10_000  # the content of any message but an email (whose body may be stored in S3)
# What the item holds besides the body (metadata, media URLs, addresses), in bytes of JSON: with the body's
# 300 KB (attachments.INLINE_BODY_BYTES) and room for the status history, under DynamoDB's 400 KB. The request
# may be 5.8 MB (for the files), so this is no longer bounded by the request's size.
OTHER_FIELDS_BYTES = 64 * 1024


def _new(scope: Scope, body: Any) -> tuple[store.Communication, Any, list[Any]]:
    """A queued communication from createCommunication's body, its addresses and sender resolved (not
    written yet), its first message for the send queue, and the objects to store before it is written (an
    email's attachments, a body too large for the item)."""
    from shared.messaging import queue

    tenant = scope.tenant_required()
    channel = body.channel
    if channel not in SENT_THROUGH:
        raise Unprocessable(f"no provider sends the {channel} channel yet: record it with a log operation",
                            field="/body/channel")
    if channel != "email":
        _not_email(body)
    _fits(body)
    member = _member(scope, body.member_id)
    fields = body.model_dump(exclude_none=True, exclude={"attachments"})
    if channel in ("webhook", "conversation"):  # to the subscribed endpoints, or the thread: no address
        for name in ("to_email", "from_email", "to_number", "from_number", "subject", "media_urls"):
            fields.pop(name, None)
        if channel == "conversation":
            _open_conversation(scope, (body.metadata or {}).get("conversation_sid"))
    elif channel == "email":
        fields["to_email"] = _required(body.to_email or member.get("email"), "/body/to_email", "an email address")
        fields["from_email"] = _sender(tenant, channel, body.from_email)
        _required(body.subject, "/body/subject", "a subject")
        fields.pop("to_number", None), fields.pop("from_number", None)
    else:
        to = _required(body.to_number or member.get("phone"), "/body/to_number", "a phone number")
        fields["to_number"] = _phone(tenant, to, "/body/to_number")
        fields["from_number"] = _phone(tenant, body.from_number, "/body/from_number") or \
            _sender(tenant, channel, None)
        if channel == "mms" and not body.media_urls:
            raise ValidationFailed("an MMS needs media_urls", field="/body/media_urls")
        fields.pop("to_email", None), fields.pop("from_email", None)
    if channel not in ("mms", "voice"):  # a call plays its media_urls after saying the content
        fields.pop("media_urls", None)
    comm_id = new_id()
    uploads: list[Any] = []
    if channel == "email":
        fields, uploads = _stored_apart(tenant, comm_id, body, fields)
    item = store.Communication(id=comm_id, client_id=tenant, direction="outbound", status="queued",
                               provider=SENT_THROUGH[channel], user_id=scope.actor.user_id, send_attempt=0,
                               status_history=[store.history_entry("queued")], **fields)
    # The channel, the member's zone, the sender and the member ride on the message: quiet hours, pacing
    # and frequency caps are decided before any read of the item. Never content: the sender reads the item.
    return item, queue.SendMessage(tenant, item.id, channel=channel, zone=member.get("timezone"),
                                   sender=fields.get("from_email") or fields.get("from_number"),
                                   member=body.member_id, marketing=body.message_type == "marketing"), uploads


def _not_email(body: Any) -> None:
    """Attachments, an html body and a long text are an email's alone: a 400 naming the field otherwise."""
    for name in ("attachments", "html"):
        if getattr(body, name) is not None:
            raise ValidationFailed(f"only an email has {name}", field=f"/body/{name}")
    if len(body.content) > TEXT_CHARS:
        raise ValidationFailed(f"at most {TEXT_CHARS} characters but for an email", field="/body/content")


def _fits(body: Any) -> None:
    """The fields the item keeps whatever their size, within OTHER_FIELDS_BYTES: a 400 naming the largest."""
    sizes = {name: len(json.dumps(value, default=str)) for name, value in
             body.model_dump(exclude={"content", "html", "attachments"}, exclude_none=True).items()}
    if sum(sizes.values()) > OTHER_FIELDS_BYTES:
        largest = max(sizes, key=lambda name: sizes[name])
        raise ValidationFailed(f"the message's fields but its body and attachments are over {OTHER_FIELDS_BYTES} "
                               "bytes of JSON", field=f"/body/{largest}")


def _stored_apart(tenant: str, comm_id: str, body: Any, fields: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """An email's fields with its attachments (and a body too large for the item) replaced by references to
    the S3 objects, and those objects, to be written first."""
    from shared.communications import attachments
    from shared.communications.models.changes import decoded

    files = [(a.model_dump(exclude={"content"}, exclude_none=True), decoded(a.content)) for a in body.attachments or ()]
    refs, content_ref, uploads = attachments.plan(tenant, comm_id, files, body.content, body.html)
    if refs:
        fields["attachments"] = refs
    if content_ref is not None:  # the whole body is sent from S3; the item keeps the text's start to read
        fields.update(content_ref=content_ref, content=body.content[:attachments.PREVIEW_CHARS])
        fields.pop("html", None)
    return fields, uploads


def create_communication(scope: Scope, body: Any) -> dict:
    """createCommunication: written queued, then queued for sending (the sender moves it on)."""
    from shared.communications import attachments
    from shared.messaging import queue

    item, message, uploads = _new(scope, body)
    attachments.put_all(uploads)  # first: an object S3 refused leaves no item behind (503)
    store.comms.create(item, scope.actor, "createCommunication")
    if queue.enqueue([message]):
        raise Unavailable("the communication is recorded but could not be queued; retry it later",
                          headers={"retry-after": "5"})
    return item.public()


BULK_TX = 25  # communications per transaction (each with its audit entry: 50 items of DynamoDB's 100)


def bulk_create(scope: Scope, body: Any) -> dict:
    """bulkCreateCommunications: each message checked on its own (its own result, in the request's order);
    the good ones written 25 to a transaction and queued 10 to a SendMessageBatch."""
    from shared.communications import attachments
    from shared.db.tx import Tx
    from shared.messaging import queue

    results: list[dict] = []
    ready: list[tuple[store.Communication, Any]] = []
    for n, entry in enumerate(body.communications):
        try:
            item, message, uploads = _new(scope, entry)
            attachments.put_all(uploads)
            ready.append((item, message))
            results.append({"index": n, "id": ready[-1][0].id, "status": 202})
        except AppError as err:
            results.append({"index": n, "status": err.status, "error": err.problem()})
    by_id = {r["id"]: r for r in results if "id" in r}
    written: list[Any] = []
    for start in range(0, len(ready), BULK_TX):
        chunk, tx = ready[start:start + BULK_TX], Tx()
        for item, _ in chunk:
            store.comms.add_create(tx, item, scope.actor, "bulkCreateCommunications")
        try:
            tx.commit()
            written += [message for _, message in chunk]
        except AppError as err:
            for item, _ in chunk:
                by_id[item.id].update(status=err.status, error=err.problem())
    for comm_id in queue.enqueue(written):
        by_id[comm_id].update(status=503, error=Unavailable("recorded but not queued; retry it later").problem())
    ok = sum(1 for r in results if r["status"] == 202)
    return {"results": results, "succeeded": ok, "failed": len(results) - ok}


def _open_conversation(scope: Scope, sid: Any) -> None:
    """A conversation-channel message goes into the tenant's conversation `metadata.conversation_sid`:
    one of its own and not closed, else a 422 naming the field."""
    from shared.conversations.service import get_by_sid

    if not isinstance(sid, str) or not sid:
        raise Unprocessable("a conversation message needs metadata.conversation_sid, the conversation it is "
                            "posted to", field=CONVERSATION_FIELD)
    try:
        conversation = get_by_sid(scope, sid)
    except NotFound:
        raise Unprocessable("metadata.conversation_sid names no conversation of this client",
                            field=CONVERSATION_FIELD) from None
    if conversation["status"] == "closed":
        raise Unprocessable("the conversation is closed", field=CONVERSATION_FIELD)


def _required(value: str | None, field: str, what: str) -> str:
    if not value:
        raise ValidationFailed(f"{what} is needed: give it, or a member_id whose member has one", field=field)
    return value


def log_communication(scope: Scope, channel: str, body: Any, operation: str) -> dict:
    """logSMS, logEmail, logMMS: a message sent or received elsewhere, recorded as it was (never sent)."""
    tenant = scope.tenant_required()
    _member(scope, body.member_id)
    fields = body.model_dump(exclude_none=True)
    for name in ("to_number", "from_number"):
        if name in fields:
            fields[name] = _phone(tenant, fields[name], f"/body/{name}")
    status = fields["status"]
    reached = store.REACHED_AT.get(status)
    if reached:  # when it got there: now, unless it is the sent_at given
        fields[reached] = fields.get(reached) or _now()
    item = store.Communication(id=new_id(), client_id=tenant, channel=channel, user_id=scope.actor.user_id,
                               provider="other", status_history=[store.history_entry(status, note="logged")],
                               **fields)
    return store.comms.create(item, scope.actor, operation).public()


def _now() -> int:
    from shared import clock

    return clock.now_ms()


def update_status(scope: Scope, comm_id: str, body: Any, expected_version: int | None = None) -> dict:
    """updateCommunicationStatus: forward only; a move back, or out of failed or bounced, is a 409."""
    status = body.status

    def check(item: store.Communication) -> None:
        if item.status not in store.predecessors(status):
            raise Conflict(f"the communication is {item.status}: it cannot move to {status}", field="/body/status")

    def changes(item: store.Communication) -> dict:
        out: dict[str, Any] = {"status": status,
                               "status_history": [*(item.status_history or []),
                                                  store.history_entry(status, note="updateCommunicationStatus")]}
        if status in store.REACHED_AT:
            out[store.REACHED_AT[status]] = _now()
        out.update(body.model_dump(exclude_none=True, exclude={"status"}))
        return out

    return store.comms.update(scope.tenant_required(), comm_id, changes, actor=scope.actor,
                              operation="updateCommunicationStatus", expected_version=expected_version,
                              check=check).public()


def channel_communications(scope: Scope, channel: str, q: Any) -> dict:
    """getCommunicationsByChannel: one channel's messages, newest first (its index, not a filter over
    every message), by status and direction."""
    items, last = store.list_by_channel(scope.tenant_required(), channel, keep=_filter(q, ("status", "direction")),
                                        limit=q.limit, cursor=q.cursor)
    return page(items, last, _view)


PREVIEW = 160  # characters of a message's content on its first timeline event


def _events(item: store.Communication) -> list[dict]:
    """A communication's events: each step of its status history (a logged or older item without one:
    its status when recorded), its content on the first."""
    steps = item.status_history or [{"status": item.status, "at": item.created_at}]
    events = [{**{k: v for k, v in step.items() if k not in ("status", "at")}, "at": int(step["at"]),
               "event": step["status"], "communication_id": item.id, "channel": item.channel,
               "direction": item.direction} for step in steps]
    events[0]["content"] = item.content[:PREVIEW]
    return events


def timeline(scope: Scope, q: Any) -> dict:
    """getCommunicationTimeline: a communication's events, or a member's (the events of its `limit` most
    recent messages, sent and received; the cursor goes back in time), oldest first."""
    from shared.core.cursor import encode_cursor

    if bool(q.member_id) == bool(q.communication_id):
        raise ValidationFailed("give a member_id or a communication_id (one of them)", field="/query/member_id")
    tenant = scope.tenant_required()
    if q.communication_id:
        if q.cursor:
            raise ValidationFailed("a communication's timeline is one page", field="/query/cursor")
        items, last = [store.get(tenant, q.communication_id)], None
    else:
        from shared.members import service as members

        members.get_member(scope, q.member_id)  # 404 for a member that is not the tenant's
        items, last = store.list_by_member(tenant, q.member_id, keep=None, limit=q.limit, cursor=q.cursor)
    events = sorted((e for item in items for e in _events(item)), key=lambda e: (e["at"], e["communication_id"]))
    return {"client_id": tenant, "member_id": q.member_id, "communication_id": q.communication_id,
            "events": events, "next_cursor": encode_cursor(last)}


def retry_failed(scope: Scope, body: Any) -> dict:
    """retryFailedCommunications: the failed communications whose attempts were spent on transient errors
    (never a permanent refusal such as 21211, nor an opted-out skip), newest first, matching the filter,
    at most `limit`, looked for among the most recent failures within one read budget (query.MAX_ITEMS_READ;
    a filter names older ones by `created_to`): each moved back to queued (audited) and queued for one more
    attempt, as createCommunication queues; a result per communication."""
    from shared.core import bulk
    from shared.messaging import queue

    tenant = scope.tenant_required()
    if body.created_from is not None and body.created_to is not None and body.created_to < body.created_from:
        raise ValidationFailed("created_to is before created_from", field="/body/created_to")

    def wanted(c: store.Communication) -> bool:
        return bool(c.retryable) and all((
            not body.channel or c.channel == body.channel, not body.error_code or c.error_code == body.error_code,
            body.created_from is None or c.created_at >= body.created_from,
            body.created_to is None or c.created_at <= body.created_to))

    found, _ = store.list_by_status(tenant, "failed", keep=wanted, limit=body.limit, cursor=None)
    zones: dict[str, str | None] = {}
    messages: list[Any] = []

    def check(item: store.Communication) -> None:
        if item.status != "failed" or not item.retryable:
            raise Conflict(f"the communication is {item.status}, not a retryable failure", field="/body")

    def changes(item: store.Communication) -> dict:
        entry = store.history_entry("queued", note="retryFailedCommunications")
        return {"status": "queued", "retryable": None, "provider_status": None,
                "status_history": [*(item.status_history or []), entry]}

    def requeue(item: store.Communication) -> dict:
        done = store.comms.update(tenant, item.id, changes, actor=scope.actor, operation="retryFailedCommunications",
                                  check=check)
        messages.append(queue.SendMessage(tenant, done.id, attempt=int(done.send_attempt or 0) + 1,
                                          channel=done.channel, zone=_zone(scope, done.member_id, zones)))
        return done.public()

    result = bulk.each(found, requeue)
    by_id = {r["id"]: r for r in result["results"]}
    for comm_id in queue.enqueue(messages):
        by_id[comm_id].update(status=503, error=Unavailable("moved to queued but not queued; retry it later").problem())
    result["succeeded"] = sum(1 for r in result["results"] if r["status"] == 200)
    result["failed"] = len(result["results"]) - result["succeeded"]
    return result


def _zone(scope: Scope, member_id: str | None, known: dict[str, str | None]) -> str | None:
    """The member's time zone (quiet hours are decided by it), read once per member."""
    if not member_id:
        return None
    if member_id not in known:
        from shared.members import service as members

        try:
            known[member_id] = members.get_member(scope, member_id).get("timezone")
        except NotFound:
            known[member_id] = None
    return known[member_id]
def record_inbound(tenant: str, comm_id: str, fields: dict[str, Any]) -> bool:
    """An inbound message a provider reported (Twilio's inbound webhook), as a communication `delivered`
    with id `comm_id` (the received event's: an event applied twice records one message). False when it
    is recorded already."""
    # Only a retry of a failed event comes here twice, after the first attempt ended: a read suffices.
    if store.find(tenant, comm_id) is not None:
        return False
    item = store.Communication(id=comm_id, client_id=tenant, direction="inbound", status="delivered",
                               delivered_at=_now(), status_history=[store.history_entry("delivered", note="received")],
                               **fields)
    store.comms.create(item, None, "receiveInboundMessage")
    return True
