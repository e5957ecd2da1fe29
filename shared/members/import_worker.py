"""The import worker: a tenant's uploaded CSV, read from S3 as a stream, written as members in chunks.

A chunk is up to CHUNK_ROWS rows. Its existing members are looked up in batches (BatchGetItem of the
rows' member_id claims, then of those members; then the email and referral-code claims the new or
changed values need), and its writes go out in transactions of up to 100 items: each row's member, its
claims and its audit entry (the generic store's own writes), the bad rows' failure items, and one
update of the job that moves the checkpoint (bytes and lines read) past the last row of the
transaction and adds its counts. The checkpoint and the rows it covers commit together, so a crash
anywhere resumes at the first row not written, with nothing written twice and nothing counted twice.

The job is leased (owner + until, conditional writes): a second delivery of the same upload finds it
held and leaves; an invocation that died holding it leaves it to expire, and the message's redelivery
(after the queue's visibility timeout, longer than any lease) takes it over. Close to its timeout an
invocation stops after a chunk, frees the lease and queues the job again, so a file of any size finishes.

A row is created, or updated when its member_id is already a member's: only the fields it gives
are written, and a row equal to what is held writes nothing and counts as unchanged (so importing
the same file again changes nothing). Rows are checked with createMember's model and normalisation;
a bad row is reported (line, column, reason) and the import goes on.
"""

from __future__ import annotations

import csv
import json
import tempfile
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shared import clock
from shared.core import aws, settings
from shared.core.actor import Actor
from shared.core.log import logger
from shared.db import claims
from shared.db.tx import MAX_ITEMS, Tx
from shared.db.writes import applied
from shared.errors import AppError, Duplicate, NotFound, VersionConflict
from shared.ids import new_id
from shared.members import imports, service, store
from shared.members.imports import ImportFailure, ImportJob

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from pynamodb.expressions.update import Action

CHUNK_ROWS = 100
READ_BYTES = 256 * 1024  # the streamed GET is read this much at a time
RESERVE_MS = 15_000  # stop after a chunk when less than this is left of the invocation
LEASE_MARGIN_MS = 60_000  # the lease outlives the invocation by this; the queue's visibility timeout is longer
MAX_ATTEMPTS = 3  # the import queue's maxReceiveCount: the last attempt marks the job failed
OPERATION = "importMembers"


class LeaseLost(Exception):
    """Another invocation owns the job now: this one stops quietly."""


class FileRefused(Exception):
    """The whole file is refused (unknown columns, not UTF-8, broken quoting): the job fails with this."""


# --- the SQS batch -------------------------------------------------------------------------------------
def handle(event: dict, context) -> dict:
    """An SQS batch: S3 upload notifications, and the worker's own `{"client_id", "job_id"}` hand-offs."""
    failures = []
    for record in event["Records"]:
        try:
            attempt = int((record.get("attributes") or {}).get("ApproximateReceiveCount", 1))
            for client_id, job_id in jobs_named(json.loads(record["body"])):
                run(client_id, job_id, context, attempt)
        except Exception:  # noqa: BLE001 - this message is retried; the others in the batch are not held up
            logger.exception("import failed", extra={"message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def jobs_named(body: dict) -> list[tuple[str, str]]:
    """The (client, job) pairs a message is about: the uploads of an S3 event (its s3:TestEvent, sent
    when the notification is configured, names none), or a hand-off."""
    if "job_id" in body:
        return [(body["client_id"], body["job_id"])]
    found = []
    for record in body.get("Records") or []:
        if record.get("eventSource") == "aws:s3" and str(record.get("eventName", "")).startswith("ObjectCreated"):
            job = imports.uploaded(record["s3"]["object"]["key"])
            if job is not None:
                found.append(job)
    return found


def run(client_id: str, job_id: str, context, attempt: int = 1) -> str:
    """Run (or resume) one import; returns what became of it."""
    try:
        job = imports.load(client_id, job_id)
    except NotFound:
        return "gone"
    if job.status in ("completed", "failed"):
        return job.status  # a duplicate message, or the same file uploaded again
    me = context.aws_request_id
    if not _take_lease(job, me, context):
        return "busy"
    try:
        return _import(job, me, context)
    except LeaseLost:
        return "busy"
    except FileRefused as refused:
        _finish(job, me, "failed", str(refused))
        return "failed"
    except Exception as err:
        # The lease is left to expire, as a crash would leave it: the redelivery takes it over.
        if attempt >= MAX_ATTEMPTS:
            _finish(job, me, "failed", f"{type(err).__name__}: {err}"[:500])
        raise


# --- the lease and the job -------------------------------------------------------------------------------
def _take_lease(job: ImportJob, me: str, context) -> bool:
    now = clock.now_ms()
    free = ImportJob.lease_until.does_not_exist() | (ImportJob.lease_until < now) | (ImportJob.lease_owner == me)
    actions: list[Action] = [
        ImportJob.status.set("running"), ImportJob.lease_owner.set(me), ImportJob.attempts.add(1),
        ImportJob.lease_until.set(now + context.get_remaining_time_in_millis() + LEASE_MARGIN_MS),
        ImportJob.updated_at.set(now)]
    if not job.started_at:
        actions.append(ImportJob.started_at.set(now))
    if not applied(lambda: job.update(actions=actions, condition=ImportJob.status.is_in("waiting_for_upload", "running")
                                      & free)):
        return False
    job.refresh(consistent_read=True)
    return True


def _owned(job: ImportJob, me: str, actions: list) -> None:
    if not applied(lambda: job.update(actions=[*actions, ImportJob.updated_at.set(clock.now_ms())],
                                      condition=ImportJob.lease_owner == me)):
        raise LeaseLost()


def _finish(job: ImportJob, me: str, status: str, error: str | None = None) -> None:
    actions = [ImportJob.status.set(status), ImportJob.completed_at.set(clock.now_ms()),
               ImportJob.lease_until.remove()]
    if error:
        actions.append(ImportJob.error_message.set(error))
    try:
        _owned(job, me, actions)
    except LeaseLost:
        pass
    logger.info("import finished", extra={"job_id": job.id, "status": status, "rows_read": job.rows_read})


def _hand_off(job: ImportJob, me: str) -> str:
    """Out of time: free the lease and queue the job again; the next invocation resumes at the checkpoint."""
    _owned(job, me, [ImportJob.lease_until.remove()])
    imports.enqueue(job.client_id, job.id)
    return "continued"


# --- reading the file ------------------------------------------------------------------------------------
class Record:
    """One CSV record: the line it starts on, its cells, and the checkpoint just after it."""

    __slots__ = ("end_bytes", "end_lines", "line", "values")

    def __init__(self, line: int, values: list[str], end_bytes: int, end_lines: int):
        self.line, self.values, self.end_bytes, self.end_lines = line, values, end_bytes, end_lines


def records(chunks: Iterable[bytes], offset: int = 0, lines: int = 0) -> Iterator[Record]:
    """The records of a CSV read from byte `offset` (`lines` physical lines before it), each with the
    byte offset and line count after it. The csv module reads no further than a record's last line, so
    the bytes it has been given so far are exactly where the next record starts."""
    done = {"bytes": offset, "lines": lines}

    def text_lines() -> Iterator[str]:
        for raw in _physical_lines(chunks):
            if done["bytes"] == 0 and raw.startswith(imports.BOM):
                done["bytes"] += len(imports.BOM)
                raw = raw[len(imports.BOM):]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise FileRefused(f"line {done['lines'] + 1} is not UTF-8") from None
            done["bytes"] += len(raw)
            done["lines"] += 1
            yield text

    reader = csv.reader(text_lines(), strict=True)
    while True:
        start = done["lines"] + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileRefused(f"line {start}: {exc}") from None
        if values:  # a blank line is no row
            yield Record(start, values, done["bytes"], done["lines"])


def _physical_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", start)) >= 0:
            yield pending[start:end + 1]
            start = end + 1
        pending = pending[start:]
    if pending:
        yield pending


def _stream(job: ImportJob) -> Iterator[bytes]:
    """The file from the checkpoint on, as a streamed (ranged) GET: never the whole file in memory."""
    s3 = aws.client("s3")
    args: dict[str, Any] = {"Bucket": settings.IMPORT_BUCKET.get(), "Key": job.s3_key}
    if job.bytes_read:
        args["Range"] = f"bytes={int(job.bytes_read)}-"
    try:
        body = s3.get_object(**args)["Body"]
    except s3.exceptions.NoSuchKey:
        raise FileRefused("the uploaded file is gone") from None
    yield from body.iter_chunks(READ_BYTES)


# --- the import ------------------------------------------------------------------------------------------
def _import(job: ImportJob, me: str, context) -> str:
    if job.size is None:
        head = aws.client("s3").head_object(Bucket=settings.IMPORT_BUCKET.get(), Key=job.s3_key)
        _owned(job, me, [ImportJob.size.set(head["ContentLength"])])
        job.size = head["ContentLength"]
    if job.columns is None or job.bytes_read < job.size:  # an empty file too: its header is missing
        writer = _Writer(job, me)
        rows = records(_stream(job), int(job.bytes_read), int(job.lines_read))
        if job.columns is None:
            _read_header(job, me, next(rows, None))
        chunk: list[Record] = []
        ids: set[str] = set()
        for record in rows:
            member_id = _member_id_of(columns_of(job), record.values)
            if len(chunk) == CHUNK_ROWS or (member_id is not None and member_id in ids):
                # A member_id seen again starts a new chunk: its second row then updates what the first wrote.
                writer.apply(chunk)
                chunk, ids = [], set()
                if context.get_remaining_time_in_millis() < RESERVE_MS:
                    return _hand_off(job, me)
            chunk.append(record)
            if member_id is not None:
                ids.add(member_id)
        writer.apply(chunk)
    _write_results(job)
    _finish(job, me, "completed")
    return "completed"


def _read_header(job: ImportJob, me: str, header: Record | None) -> None:
    if header is None:
        raise FileRefused("the file is empty: the first line names the columns")
    refused = imports.check_header(header.values)
    if refused:
        raise FileRefused(refused)
    names = [h.strip() for h in header.values]
    _owned(job, me, [ImportJob.columns.set(names), ImportJob.bytes_read.set(header.end_bytes),
                     ImportJob.lines_read.set(header.end_lines)])
    job.columns, job.bytes_read, job.lines_read = names, header.end_bytes, header.end_lines


def columns_of(job: ImportJob) -> list[str]:
    """The file's header, as read at its start."""
    return [str(c) for c in job.columns or []]


def _member_id_of(header: list[str], values: list[str]) -> str | None:
    if not header or len(values) != len(header):
        return None
    return values[header.index("member_id")].strip() or None


def _write_results(job: ImportJob) -> None:
    """The results CSV (line, member_id, column, reason: one line per reason) from the failure items,
    spooled to disk past 8 MB and uploaded by the SDK's managed transfer (multipart when large)."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+b") as out:
        text = _BinaryLines(out)
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(["line", "member_id", "column", "reason"])
        for failure in imports.failures(job.client_id, job.id):
            for column, reason in failure.errors:
                writer.writerow([int(failure.line), failure.member_id or "", column, reason])
        out.seek(0)
        aws.client("s3").upload_fileobj(out, settings.IMPORT_BUCKET.get(), job.results_key,
                                        ExtraArgs={"ContentType": "text/csv; charset=utf-8"})


class _BinaryLines:
    """What csv.writer needs (`write(str)`) over a binary file, in UTF-8."""

    def __init__(self, out):
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(text.encode("utf-8"))


# --- writing members ---------------------------------------------------------------------------------------
class _Row:
    """A record on its way: the member it describes, then what it comes to and the writes that make it so."""

    __slots__ = ("changes", "errors", "existing", "given", "member_id", "outcome", "parsed", "record", "tx")

    def __init__(self, record: Record):
        self.record = record
        self.parsed: store.Member | None = None  # as createMember would make it (defaults, normalised)
        self.given: tuple[str, ...] = ()  # the fields the row fills: an update writes only these
        self.existing: store.Member | None = None  # the member its member_id already names
        self.changes: dict = {}
        self.errors: list[tuple[str, str]] = []
        self.member_id: str | None = None
        self.outcome = "failed"  # created | updated | unchanged | failed
        self.tx = Tx()

    @property
    def member(self) -> store.Member:
        """The member as parsed (only rows that parsed are planned)."""
        if self.parsed is None:
            raise AssertionError(f"line {self.record.line} did not parse")
        return self.parsed

    def fail(self, column: str, reason: str) -> None:
        self.errors.append((column, reason))
        self.outcome, self.tx = "failed", Tx()

    def values(self) -> dict:
        """The unique-field values the row would hold: all of a new member's, the given ones of an update."""
        if self.existing is None:
            return self.parsed.attribute_values if self.parsed is not None else {}
        return self.changes


class _Writer:
    """Applies chunks of records to the job's tenant, committing each transaction with the checkpoint."""

    def __init__(self, job: ImportJob, me: str):
        self.job, self.me, self.tenant = job, me, job.client_id
        self.actor = Actor(job.requested_by or "system", job.requested_role or "admin", job.client_id)
        self._country: list[str | None] = []

    def country(self) -> str | None:
        """The tenant's default country, read once (and only if a phone is written without `+`)."""
        if not self._country:
            from shared.clients.service import default_country

            self._country.append(default_country(self.tenant))
        return self._country[0]

    def apply(self, records: list[Record]) -> None:
        if not records:
            return
        rows = [self._parse(r) for r in records]
        self._plan(rows)
        group: list[_Row] = []
        size = 1  # the job's own update
        for row in rows:
            items = len(row.tx.ops) + (1 if row.outcome == "failed" else 0)
            if group and size + items > MAX_ITEMS:
                self._commit(group)
                group, size = [], 1
            group.append(row)
            size += items
        self._commit(group)

    # -- each row on its own: parse and check ------------------------------------------------------
    def _parse(self, record: Record) -> _Row:
        from shared.members.models.changes import MemberCreate

        row = _Row(record)
        given, errors = imports.cells(columns_of(self.job), record.values)
        row.member_id = given.get("member_id")
        if errors:
            row.errors = errors
            return row
        try:
            body = MemberCreate.model_validate(given)
        except ValidationError as exc:
            row.errors = [(str(e["loc"][0]) if e["loc"] else "", e["msg"]) for e in exc.errors()]
            return row
        member = store.Member(id=new_id(), client_id=self.tenant, **body.model_dump(exclude_none=True))
        try:
            service.normalise(member, self.tenant, country=self.country)
        except AppError as exc:
            row.errors = [((exc.field or "").rsplit("/", 1)[-1], exc.detail)]
            return row
        row.parsed, row.member_id, row.outcome = member, member.member_id, "created"
        row.given = tuple(sorted(body.model_fields_set))
        return row

    # -- the chunk together: batched lookups, then each row's writes ----------------------------------
    def _plan(self, rows: list[_Row]) -> None:
        live = [r for r in rows if r.parsed is not None]
        if live:
            self._match(live)
            self._write([r for r in live if r.outcome not in ("failed", "unchanged")])

    def _match(self, live: list[_Row]) -> None:
        """Each row's member, if its member_id names one, and what the row would change in it."""
        held = _claims([store.member_id_key(self.tenant, r.member.member_id) for r in live])
        owner = {r.record.line: held[key].owner_pk.rsplit("#", 1)[-1] for r in live
                 if (key := store.member_id_key(self.tenant, r.member.member_id)) in held}
        referrers = [r.member.referred_by for r in live if r.member.referred_by]
        members = _members(self.tenant, [*owner.values(), *referrers])
        for row in live:
            if row.record.line in owner:
                row.existing = members.get(owner[row.record.line])
                if row.existing is None:
                    row.fail("member_id", "is being changed by another request; import the row again")
                    continue
                wanted = {k: getattr(row.member, k) for k in row.given}
                row.changes = {k: v for k, v in wanted.items() if getattr(row.existing, k) != v}
                if not row.changes:
                    row.outcome = "unchanged"
                    continue
            if row.member.referred_by and row.member.referred_by not in members and "referred_by" in row.values():
                row.fail("referred_by", "names no member of this client")

    def _write(self, pending: list[_Row]) -> None:
        """Each row's writes, unless a unique value it would take is taken (in the table or by an earlier row)."""
        taken = _claims([key for r in pending for _, key in self._new_claims(r)])
        claimed: set[str] = set()  # taken by an earlier row of this chunk
        for row in pending:
            clash = next((field for field, key in self._new_claims(row) if key in taken or key in claimed), None)
            if clash:
                row.fail(clash, "is already taken")
                continue
            claimed.update(key for _, key in self._new_claims(row))
            if row.existing is not None:
                store.members.add_update(row.tx, row.existing, row.changes, actor=self.actor, operation=OPERATION)
                row.outcome = "updated"
            else:
                if row.member.referral_code is None:
                    row.member.referral_code = service.new_referral_code()
                store.members.add_create(row.tx, row.member, self.actor, OPERATION)
                row.outcome = "created"

    def _new_claims(self, row: _Row) -> list[tuple[str, str]]:
        """(field, claim key) of each unique value the row would newly hold (a new member's member_id
        claim is known to be free: its lookup found none)."""
        out = []
        owner = row.existing or row.parsed
        for unique in store.Member.unique:
            value = row.values().get(unique.field)
            if value is None or (unique.field == "member_id" and row.existing is None):
                continue
            out.append((unique.field, unique.key(value, owner)))
        return out

    # -- the transaction: the rows' writes and the checkpoint together -----------------------------------
    def _commit(self, group: list[_Row], retry: bool = True) -> None:
        if not group:
            return
        tx = Tx()
        for row in group:
            tx.ops += row.tx.ops
            if row.outcome == "failed":
                tx.put(ImportFailure(client_id=self.tenant, job_id=self.job.id, line=row.record.line,
                                     member_id=row.member_id, errors=[list(e) for e in row.errors]))
        last = group[-1].record
        counts = {outcome: sum(1 for r in group if r.outcome == outcome)
                  for outcome in ("created", "updated", "unchanged", "failed")}
        actions = [ImportJob.bytes_read.set(last.end_bytes), ImportJob.lines_read.set(last.end_lines),
                   ImportJob.rows_read.add(len(group)), ImportJob.updated_at.set(clock.now_ms())]
        actions += [getattr(ImportJob, f"rows_{k}").add(n) for k, n in counts.items() if n]
        tx.update(self.job, actions, condition=(ImportJob.lease_owner == self.me)
                  & (ImportJob.bytes_read == int(self.job.bytes_read)), on_fail=LeaseLost())
        try:
            tx.commit()
        except (Duplicate, VersionConflict):
            if not retry:
                raise
            self._one_by_one(group)  # a race with another writer: each row again, on a fresh read
            return
        self.job.bytes_read, self.job.lines_read = last.end_bytes, last.end_lines
        self.job.rows_read += len(group)
        for k, n in counts.items():
            setattr(self.job, f"rows_{k}", getattr(self.job, f"rows_{k}") + n)

    def _one_by_one(self, group: list[_Row]) -> None:
        for row in group:
            again = self._parse(row.record)
            self._plan([again])
            try:
                self._commit([again], retry=False)
            except (Duplicate, VersionConflict) as exc:
                failed = _Row(row.record)
                failed.member_id = row.member_id
                if isinstance(exc, Duplicate):
                    failed.fail((exc.field or "").rsplit("/", 1)[-1], "is already taken")
                else:
                    failed.fail("member_id", "was changed by another request meanwhile; import the row again")
                self._commit([failed], retry=False)


def _claims(keys: list[str]) -> dict[str, claims.Claim]:
    """The claims that exist among `keys`: one consistent BatchGetItem per 100."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    return {c.PK: c for c in claims.Claim.batch_get([(k, "CLAIM") for k in wanted], consistent_read=True)}


def _members(tenant: str, ids: list[str]) -> dict[str, store.Member]:
    """Live members by id: one consistent BatchGetItem per 100."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    found = store.Member.batch_get([store.Member.key(tenant, i) for i in wanted], consistent_read=True)
    return {m.id: m for m in found if not m.deleted_at}
