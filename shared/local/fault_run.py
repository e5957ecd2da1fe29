"""The fault run: N messages through the whole send pipeline while everything that can go wrong does.

- Every SQS message is delivered twice: the duplicate is a second copy, as SQS's at-least-once delivery
  hands out, and a copy that fails comes back after its visibility timeout like any other message.
- The provider fakes answer 30% of sends with a transient error (500, nothing sent) and 1% ambiguously
  (half of those: sent, then 500; the other half: sent after stalling past the run's 1 s provider
  timeout); 2% of the text recipients are invalid numbers (Twilio 21211: a permanent refusal).
- The sender is killed 3 times: between a provider's answer and the status write, between taking an
  attempt and the provider call, and in the middle of a batch. A kill is a BaseException: the batch
  processor cannot catch it, so the invocation dies with its batch undeleted, as a crashed Lambda does.
- Every message the providers took is reported, after each batch, as they report it: Twilio's signed
  status callbacks `sent` then `delivered`, SendGrid's signed events `processed` then `delivered` (100
  to a post); each report three times, and for 20% of the messages the later status first. So an
  ambiguous email is settled by its `processed` event, as it would be, instead of waiting out its window.

Then it counts: what reached each provider, per message (at the fake); what became of each
communication; what is in the dead-letter queue; status moves against the forward order; each report
stored once and applied (every message sent ends delivered); and the counters against a recount. This module is the send queue's event source mapping (the runtime's pollers
are off, so it can duplicate and kill), and all waiting (backoffs, settle checks, visibility timeouts) is
done by moving the shared clock, never by sleeping: the run is as fast as the code.

`make faults` runs 10,000 messages; the suite runs 1,000 (tests/local/test_fault_run.py, in a process of
its own: a runtime of the suite's beside it would share moto's lock and the CPU with it).
`python -m shared.local.fault_run [--messages N] [--seed S]`
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared import clock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

TRANSIENT, AMBIGUOUS, INVALID = 0.30, 0.01, 0.02
PROVIDER_TIMEOUT_S, STALL_S = 1, 1.5  # a stalled send outlives the client's timeout, then goes through
STEP_S = 15  # the clock moves this far when nothing is visible on the queue
MAX_STEPS = 20_000  # of STEP_S: 3.5 days of clock; a run that needs more has lost a message
INVALID_NUMBER = "+15005550001"  # the Twilio fake's magic number for 21211
KILLS = ("between the answer and the status write", "between the take and the provider call", "mid-batch")
_INDEX = re.compile(r"Fault run message (\d+)\b")
REPORTED, OUT_OF_ORDER = 3, 0.20  # each report posted 3 times; this share of the messages later status first
PROGRESS_EVERY = 250  # batches
REPORTS = {"twilio": ("sent", "delivered"), "sendgrid": ("processed", "delivered")}


class Killed(BaseException):
    """The sender's process dying: not an Exception, so nothing in the function catches it."""


@dataclass
class Figures:
    messages: int
    seconds: float = 0.0
    clock_hours: float = 0.0
    batches: int = 0
    deliveries: int = 0  # sender invocations: every batch twice, and the copies that came back
    kills: list[str] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)  # final status (sent counts everything past it)
    reached: Counter = field(default_factory=Counter)  # times a message reached its provider → messages
    email_resent: int = 0  # unconfirmed emails sent once more (SendGrid has no lookup): possible duplicates
    duplicates_sms: int = 0
    duplicates_unreported: list[str] = field(default_factory=list)  # reached twice with no possible-duplicate note
    lost: list[str] = field(default_factory=list)  # not decided at the end
    sent_not_reached: list[str] = field(default_factory=list)
    failed_but_reached: list[str] = field(default_factory=list)
    permanent_with_code: int = 0
    permanent_without_code: list[str] = field(default_factory=list)
    exhausted: int = 0
    dead_letters: int = 0  # the sender's own (with a reason)
    redriven: int = 0  # SQS's redrive after maxReceiveCount receives: 0, or messages kept failing
    exhausted_not_dead_lettered: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    counter_differences: list[str] = field(default_factory=list)
    counters_recounted: int = 0
    reports_posted: int = 0  # callback requests (each report 3 times; SendGrid's 100 events to a post)
    reports: int = 0  # distinct reports (message, status)
    reports_out_of_order: int = 0  # messages whose later status was posted first
    reports_stored: int = 0  # received events stored (their claims): must equal `reports`
    reports_refused: list[str] = field(default_factory=list)  # a callback answered other than 2xx
    reports_failed: list[str] = field(default_factory=list)  # stored, but failed to apply
    sent_not_delivered: list[str] = field(default_factory=list)  # reported delivered, still short of it

    def problems(self) -> list[str]:
        """What breaks a promise of the pipeline (empty when the run is clean)."""
        found = []
        for name in ("lost", "duplicates_unreported", "sent_not_reached", "failed_but_reached", "permanent_without_code",
                     "exhausted_not_dead_lettered", "regressions", "counter_differences", "reports_refused",
                     "reports_failed", "sent_not_delivered"):
            if getattr(self, name):
                found.append(f"{name}: {getattr(self, name)[:5]} ({len(getattr(self, name))})")
        if self.duplicates_sms:
            found.append(f"{self.duplicates_sms} text messages reached Twilio more than once")
        if self.redriven:
            found.append(f"{self.redriven} messages were redriven to the dead-letter queue by SQS")
        if self.reports_stored != self.reports:
            found.append(f"{self.reports_stored} received events stored for {self.reports} distinct reports")
        return found


def _runtime(seed: int):
    from shared.local.aws import EmbeddedAws
    from shared.local.runtime import Runtime

    return Runtime(fakes=True, pollers=False, aws=EmbeddedAws(stack=f"faults-{seed}-{uuid.uuid4().hex[:6]}"),
                   parameters={"ProviderTimeoutSeconds": str(PROVIDER_TIMEOUT_S)}).start()


def _unpaced(tenant: str) -> None:
    """The run is about faults, not pacing (tests/integration/test_send_pacing.py): its senders at the
    highest tenant rate, so a batch is not paced. A paced message is queued again per delivery, and with
    every delivery doubled a message paced again and again would double each time."""
    from shared.settings import store as settings

    settings.put("client", tenant, None, "messaging.tenant_send_rate", 1000, description=None, actor=None,
                 operation="setSetting")


def _create(runtime, scope, n: int, rng: random.Random) -> dict[str, int]:
    """n communications (a quarter emails), created through the service as createCommunication does:
    their ids → their index."""
    from shared.communications import service
    from shared.communications.models.changes import CommunicationCreate

    made = {}
    with runtime.functions["CreateCommunicationFunction"].acting():
        for i in range(n):
            if i % 4 == 3:
                fields = {"channel": "email", "to_email": f"fault{i}@example.com", "from_email": "faults@example.com",
                          "subject": f"Fault run {i}"}
            else:
                to = INVALID_NUMBER if rng.random() < INVALID else f"+1415555{i % 10000:04d}"
                fields = {"channel": "sms", "to_number": to, "from_number": "+15005550006"}
            body = CommunicationCreate.model_validate({**fields, "content": f"Fault run message {i} of the run"})
            made[service.create_communication(scope, body)["id"]] = i
    return made


@contextlib.contextmanager
def _trap(kind: str | None) -> Iterator[list[str]]:
    """Arm one kill of the sender for the invocation inside; yields a list that names it once it fired."""
    from shared.communications import store
    from shared.messaging import sender

    fired: list[str] = []
    if kind is None:
        yield fired
        return
    target: tuple[Any, str]
    if kind == KILLS[0]:
        target = (store, "record_outcome")
    elif kind == KILLS[1]:
        target = (sender, "_send")
    else:
        target = (sender, "process")
    owner, name = target
    original = getattr(owner, name)
    calls = Counter[str]()

    def dying(*args, **kwargs):
        calls["n"] += 1
        if kind == KILLS[0] and kwargs.get("status") != "sent":
            return original(*args, **kwargs)  # the write after an accepted send is the one to die before
        if kind == KILLS[2] and calls["n"] < 5:
            return original(*args, **kwargs)  # four messages of the batch done, then the process dies
        if not fired:
            fired.append(kind)
            raise Killed(kind)
        return original(*args, **kwargs)

    setattr(owner, name, dying)
    try:
        yield fired
    finally:
        setattr(owner, name, original)


def _records(messages: list[dict]) -> dict:
    return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                         "attributes": m.get("Attributes", {}), "messageAttributes": {}, "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:faults"} for m in messages]}


def _deliver(sender, messages: list[dict], kill: str | None, figures: Figures) -> set[str]:
    """One invocation with these messages: the ids it failed (all of them when it died)."""
    figures.deliveries += 1
    with _trap(kill) as fired:
        try:
            result = sender.invoke(_records(messages))
        except Killed:
            figures.kills += fired
            return {m["MessageId"] for m in messages}
    return {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}


class _Reporter:
    """Posts the reports of what the providers took since the last call (module docstring)."""

    def __init__(self, runtime, rng: random.Random, figures: Figures):
        self.runtime, self.rng, self.figures = runtime, rng, figures
        self.texts = self.emails = 0  # how far into the fakes' messages and outbox it has reported

    def report(self) -> None:
        from shared.local import delivery_reports as reports

        fakes, figures = self.runtime.provider_fakes, self.figures
        sids = list(fakes.state.messages)[self.texts:]
        emails = [e["id"] for e in fakes.outbox("sendgrid")[self.emails:]]
        self.texts, self.emails = self.texts + len(sids), self.emails + len(emails)
        first: list = []  # the first copy of each report, in the order the run posts them
        events: list = []
        for provider, taken in (("twilio", sids), ("sendgrid", emails)):
            for message in taken:
                statuses = list(REPORTS[provider])
                if self.rng.random() < OUT_OF_ORDER:
                    statuses.reverse()
                    figures.reports_out_of_order += 1
                figures.reports += len(statuses)
                if provider == "twilio":
                    first += [reports.twilio_status(fakes, message, status) for status in statuses]
                else:
                    events += [reports.sendgrid_event(fakes, message, status) for status in statuses]
        posts = first + reports.sendgrid_events(fakes, self.runtime.url, events)
        for copy in range(REPORTED):  # a copy is the same request again: the same event ids, the same signature
            for post in posts if copy == 0 else self.rng.sample(posts, len(posts)):
                figures.reports_posted += 1
                answered = reports.deliver(self.runtime, post)
                if not 200 <= answered < 300:
                    figures.reports_refused.append(f"{post.function} {answered}")


def _drive(runtime, tenant: str, figures: Figures, kill_at: dict[int, str], reporter: _Reporter,
           progress: Callable[[str], None] | None = None) -> None:
    """Receive and deliver until every communication is decided, moving the clock when the queue is empty."""
    from shared.communications import store

    sqs, url = runtime.aws.client("sqs"), runtime.aws.names["SendQueue"]
    sender = runtime.functions["SendCommunicationsFunction"]
    visibility = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
                     ["Attributes"]["VisibilityTimeout"])
    steps = 0
    while steps < MAX_STEPS:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not got:
            if not store.list_by_status(tenant, "queued", keep=None, limit=1, cursor=None)[0]:
                return
            runtime.provider_fakes.wait_idle()  # a stalled send goes through before the clock moves past it
            reporter.report()
            clock.advance(STEP_S)
            steps += 1
            continue
        figures.batches += 1
        if progress and figures.batches % PROGRESS_EVERY == 0:  # a 10,000 run takes an hour: show it moving
            progress(f"{figures.batches:,} batches, {figures.reports_posted:,} reports posted")
        failed = _deliver(sender, got, kill_at.get(figures.batches), figures)
        copy_failed = _deliver(sender, got, None, figures)  # the duplicate copy of every message
        done = [m for m in got if m["MessageId"] not in failed]
        for i in range(0, len(done), 10):
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for n, m in enumerate(done[i:i + 10])])
        for m in got:  # a failed copy comes back after its visibility timeout, as the original does
            if m["MessageId"] in copy_failed:
                sqs.send_message(QueueUrl=url, MessageBody=m["Body"], DelaySeconds=min(visibility, 900))
        reporter.report()


def _settle_streams(runtime) -> None:
    from shared.local.pollers import Pollers
    from shared.local.template import load

    pollers = Pollers(runtime.aws, load(runtime.template_path), runtime.functions)
    while pollers.poll_streams():
        pass
    figures_errors = [e for e in pollers.errors if "gave up" in e]
    if figures_errors:
        raise RuntimeError(f"the stream consumer gave up on records: {figures_errors[:3]}")


def _regressions(item) -> list[str]:
    from shared.communications.store import STATUSES, predecessors

    moves = [e["status"] for e in item.status_history or [] if e.get("status") in STATUSES]
    return [f"{item.id}: {a} → {b}" for a, b in zip(moves, moves[1:], strict=False)
            if a != b and a not in predecessors(b)]


def _count(runtime, tenant: str, made: dict[str, int], figures: Figures) -> None:
    from shared.communications import store
    from shared.db.recount import recount

    reached = Counter[int]()
    for entry in runtime.provider_fakes.outbox():
        found = _INDEX.search(str(entry.get("body") or ""))
        if found:
            reached[int(found.group(1))] += 1
    dead = _drain(runtime, "SendDeadLetterQueue")
    dead_ids = {m["id"] for m in dead if m["reason"]}
    figures.dead_letters, figures.redriven = len(dead_ids), sum(1 for m in dead if not m["reason"])
    for comm_id, index in made.items():
        _judge(store.get(tenant, comm_id), reached[index], dead_ids, figures)
    _count_reports(runtime, tenant, figures)
    _settle_streams(runtime)
    counted = recount(tenant, dry_run=True)
    figures.counters_recounted = counted.items
    figures.counter_differences = [f"{d}" for d in counted.differences]


def _count_reports(runtime, tenant: str, figures: Figures) -> None:
    """The received events stored for the tenant (their dedupe claims) and those that failed to apply."""
    from shared.local import moto_txn
    from shared.webhooks import store as received

    claim = f"T#{tenant}#WEBHOOK_EVENT#"
    figures.reports_stored = len(moto_txn.picked(runtime.aws.names["Table"],
                                                 lambda a: 1 if str(a["PK"].value).startswith(claim) else None) or [])
    failed, _ = received.page(tenant, status="failed", limit=100, cursor=None)
    figures.reports_failed = [f"{w.id} {w.event_type}: {w.error_message}" for w in failed]


def _judge(item, times: int, dead_ids: set[str], figures: Figures) -> None:
    """Count one communication's end against what reached its provider `times` times."""
    figures.reached[times] += 1
    figures.regressions += _regressions(item)
    resent = any("a duplicate is possible" in str(e.get("note", "")) for e in item.status_history or [])
    figures.email_resent += int(resent)
    if times > 1 and not (resent and item.channel == "email"):
        figures.duplicates_unreported.append(item.id)
    if item.status == "queued":
        figures.outcomes["queued"] += 1
        figures.lost.append(item.id)
        return
    if item.status != "failed":
        _judge_sent(item, times, figures)
        return
    figures.outcomes["failed"] += 1
    if times:
        figures.failed_but_reached.append(item.id)
    if item.error_code == "21211":
        figures.permanent_with_code += 1
    elif item.to_number == INVALID_NUMBER and item.id not in dead_ids:
        # (One in the DLQ met a transient fault at every attempt, before Twilio looked at the number:
        # exhausted, like any other.)
        figures.permanent_without_code.append(item.id)
    else:
        figures.exhausted += 1
        if item.id not in dead_ids:
            figures.exhausted_not_dead_lettered.append(item.id)


def _judge_sent(item, times: int, figures: Figures) -> None:
    figures.outcomes["sent"] += 1
    if item.status not in ("delivered", "read", "clicked", "replied"):  # its delivered report was posted
        figures.sent_not_delivered.append(f"{item.id} {item.status}")
    if not times:
        figures.sent_not_reached.append(item.id)
    if times > 1 and item.channel != "email":
        figures.duplicates_sms += 1


def _drain(runtime, queue: str) -> list[dict[str, Any]]:
    """Every message of a queue: the communication it names, and the reason the sender gave (none: redriven)."""
    import json

    sqs, url = runtime.aws.client("sqs"), runtime.aws.names[queue]
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
                                  ).get("Messages", [])
        if not got:
            return out
        for m in got:
            reason = (m.get("MessageAttributes") or {}).get("reason", {}).get("StringValue")
            out.append({"id": json.loads(m["Body"]).get("id"), "reason": reason})
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for n, m in enumerate(got)])


def run(n: int = 1000, seed: int = 7, progress: Callable[[str], None] | None = None) -> Figures:
    """The fault run (module docstring) of `n` messages; the same seed gives the same faults."""
    from shared.local.bench_send import _tenant
    from shared.local.quiet import quiet

    rng, figures, started = random.Random(seed), Figures(n), time.perf_counter()
    start_ms = clock.freeze()  # time moves only when the run moves it
    runtime = _runtime(seed)
    with quiet():  # a figures run: 40,000 request lines would bury the table, and formatting them costs time
        try:
            tenant, scope = _tenant()
            _unpaced(tenant)
            for provider in ("twilio", "sendgrid"):
                runtime.provider_fakes.random_faults(provider, {"500": TRANSIENT, "send_then_500": AMBIGUOUS / 2,
                                                                "hang": AMBIGUOUS / 2}, seed=seed, delay=STALL_S)
            made = _create(runtime, scope, n, rng)
            if progress:
                progress(f"{n:,} communications queued")
            # Early, while batches are full (retries and checks come later, in small batches): the mid-batch kill
            # needs five messages in its batch.
            batches = max(8, n // 10)
            kill_at = {max(1, batches * k // 8): kind for k, kind in enumerate(KILLS, start=1)}
            reporter = _Reporter(runtime, random.Random(seed + 1), figures)
            _drive(runtime, tenant, figures, kill_at, reporter, progress)
            reporter.report()  # what the last batch's stalled sends delivered
            runtime.provider_fakes.random_faults("twilio", {})
            runtime.provider_fakes.random_faults("sendgrid", {})
            if progress:
                progress(f"decided after {figures.batches:,} batches; counting")
            _count(runtime, tenant, made, figures)
            figures.clock_hours = (clock.now_ms() - start_ms) / 3_600_000
        finally:
            runtime.stop()
            clock.reset()
    figures.seconds = time.perf_counter() - started
    return figures


def report(f: Figures) -> str:
    from shared.local.bench_common import table

    rows = [
        ["messages", f"{f.messages:,}"],
        ["wall seconds (clock hours passed)", f"{f.seconds:,.0f} ({f.clock_hours:.1f} h)"],
        ["batches received, sender invocations", f"{f.batches:,}, {f.deliveries:,}"],
        ["sender kills", f"{len(f.kills)}: " + "; ".join(f.kills)],
        ["sent (reached the provider once)", f"{f.outcomes['sent']:,} ({f.reached[1]:,} reached once in all)"],
        ["failed: permanent, with the provider's code", f"{f.permanent_with_code:,}"],
        ["failed: attempts exhausted (in the DLQ)", f"{f.exhausted:,} ({f.dead_letters:,} dead letters)"],
        ["lost (still queued)", f"{len(f.lost):,}"],
        ["text messages reaching Twilio twice", f"{f.duplicates_sms:,}"],
        ["emails sent once more unconfirmed (counted)", f"{f.email_resent:,} ({f.reached[2]:,} reached twice)"],
        ["redriven by SQS", f"{f.redriven:,}"],
        ["status regressions", f"{len(f.regressions):,}"],
        ["delivery reports: posted (distinct; later status first)",
         f"{f.reports_posted:,} ({f.reports:,}; {f.reports_out_of_order:,} messages)"],
        ["reports stored once / refused / failed to apply",
         f"{f.reports_stored:,} / {len(f.reports_refused):,} / {len(f.reports_failed):,}"],
        ["sent but not delivered at the end", f"{len(f.sent_not_delivered):,}"],
        ["counters vs a recount", f"{len(f.counter_differences):,} differences ({f.counters_recounted:,} items)"],
    ]
    return table(["fault run", "figure"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fault_run", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON after the table")
    args = parser.parse_args(argv)
    figures = run(args.messages, args.seed, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(report(figures))
    problems = figures.problems()
    for line in problems:
        print("PROBLEM:", line)
    if args.json:  # the last line (Counters as plain dicts: dataclasses.asdict would key them by tuples)
        import json
        from dataclasses import fields

        print(json.dumps({f.name: (dict(v) if isinstance(v := getattr(figures, f.name), Counter) else v)
                          for f in fields(figures)}))
    return PROBLEMS if problems else 0


PROBLEMS = 3  # the exit status of a run that found problems (a crash exits 1)


if __name__ == "__main__":
    sys.exit(main())
