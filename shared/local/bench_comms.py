"""Communications at two tenant sizes: the DynamoDB calls and items read of each report and list per
request (counts, never timings), measured as bench_members measures members.

N communications of the demo tenant, one every ten minutes back from now (so they span days: a date
range reads day counters), are loaded straight into moto with what the stream consumer derives from them
(projection markers, the channel index, the all-time and per-day counters). Each operation then answers
through the gateway, the handler's calls alone counted. Claims:
- the reports ("stats"): the same calls at every size, at most STATS_CALLS, and at most the items of
  their counters (the all-time counter's 16 shards; a range's days × 3 shards);
- the channel list ("page"): at most a page of index entries and the communications they name;
- a communication's timeline ("lookup"): the same items at every size.

`python -m shared.local.bench_comms [--quick]`; `main` returns 1 when a row breaks its claim.
"""

from __future__ import annotations

import random
import sys
import time
from typing import TYPE_CHECKING
from unittest import mock

from shared.local import bench_members
from shared.local.bench_members import Loaded, Operation, measure

if TYPE_CHECKING:
    from collections.abc import Iterator

SIZES, QUICK_SIZES = (1000, 10000), (200, 2000)
LIMIT = 50
STATS_CALLS = 3
RANGE_DAYS = 100
OPERATIONS: list[Operation] = [
    Operation("getCommunicationStats", "/communications/stats", "", "stats"),
    Operation("getCommunicationStats 7 days", "/communications/stats", "start_date={week}", "stats"),
    Operation("getDeliveryRates 100 days", "/communications/delivery-rates", "start_date={range}", "stats"),
    Operation("getCommunicationCosts", "/communications/costs", "channel=sms", "stats"),
    Operation("getEngagementMetrics", "/communications/engagement", "", "stats"),
    Operation("getResponseRates 100 days", "/communications/response-rates", "start_date={range}", "stats"),
    Operation("getCommunicationsByChannel", "/communications/by-channel/email", f"limit={LIMIT}", "page"),
    Operation("getCommunicationTimeline", "/communications/timeline", "communication_id={id}", "lookup"),
]
STEP_MS = 10 * 60 * 1000


def make_communications(n: int, tenant: str, rng: random.Random, now: int) -> Iterator:
    """N communications, the newest last: sms, email and mms, outbound in every status and some inbound,
    with costs and segments."""
    from decimal import Decimal

    from shared.communications.store import Communication, history_entry
    from shared.ids import new_id

    for i in range(n):
        channel = rng.choices(("sms", "email", "mms"), (60, 35, 5))[0]
        inbound = channel != "email" and rng.random() < 0.1
        status = "delivered" if inbound else rng.choices(
            ("queued", "sent", "delivered", "read", "clicked", "replied", "failed", "bounced"),
            (2, 10, 50, 15, 8, 5, 6, 4))[0]
        email = channel == "email"
        created = now - (n - i) * STEP_MS
        yield Communication(
            id=new_id(), client_id=tenant, channel=channel, direction="inbound" if inbound else "outbound",
            content=f"message {i}", status=status, provider="sendgrid" if channel == "email" else "twilio",
            cost=None if inbound or channel == "email" else Decimal("0.0079"), segments=None if inbound else 1,
            message_type=rng.choice(("transactional", "marketing")), created_at=created,
            status_history=[history_entry(status)], to_email=f"reader{i}@example.com" if email else None,
            to_number=None if email else "+14155550123")


def load(runtime, tenant: str, n: int) -> Loaded:
    """N communications into the tenant, with their projections (bench_scale's sink)."""
    from datetime import timedelta

    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    from shared import clock
    from shared.communications import store
    from shared.local import bench_scale

    started = time.perf_counter()
    table_ = bench_scale.moto_table(runtime)
    bench_scale.project_seeded(table_)
    rng, now, sink = random.Random(n), clock.now_ms(), bench_scale.Sink(table_)
    today = clock.now().date()
    names = {"week": (today - timedelta(days=6)).isoformat(), "range": (today - timedelta(days=RANGE_DAYS - 1)).isoformat()}
    with bench_scale._stream_paused(table_), bench_scale._through(sink), \
            mock.patch.object(LimitedSizeDict, "__setitem__", dict.__setitem__):
        for i, comm in enumerate(make_communications(n, tenant, rng, now)):
            store.comms.create(comm)
            if i == n // 2:
                names["id"] = comm.id
    bench_scale.add_counters(sink.sums, sink.sets)
    bench_scale.check_mirror(sink.last.values())
    return Loaded(n, sink.written, time.perf_counter() - started, names)


def _bound(row: dict) -> int | None:
    from shared.communications.projections import DAY_SHARDS, SHARDS

    if row["kind"] == "stats":
        return RANGE_DAYS * DAY_SHARDS if "days" in row["operation"] else SHARDS
    return 2 * LIMIT + 5 if row["kind"] == "page" else None


def problems(rows: list[dict]) -> list[str]:
    """What breaks a row's claim (the module docstring)."""
    return bench_members.problems(rows, _bound, STATS_CALLS)


def report(rows: list[dict]) -> list[str]:
    return bench_members.report(
        rows, "communications", "returned: 1 for a report or a timeline, items on the page (+: a next_cursor follows)",
        f"a report: the same calls at every size, at most {STATS_CALLS}, only its counters' items; a page its entries "
        "and communications; no Scan", problems(rows))


def main(quick: bool = False) -> int:
    return bench_members.main(quick, "comms", (SIZES, QUICK_SIZES),
                              lambda sizes: report(measure(sizes, OPERATIONS, load, "comms")))


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
