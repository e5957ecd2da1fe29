"""The fault run of the send pipeline (shared/local/fault_run.py) with 1,000 messages: duplicated SQS
deliveries, 30% transient, 2% permanent and 1% ambiguous provider answers, the sender killed 3 times,
every delivery report posted 3 times and 20% of them out of order.
`make faults` runs the same with 10,000 and prints the table (README: "The fault run").

It runs in a process of its own, as `make faults` does: in a suite worker it would share moto (and its
lock) with the worker's runtime, whose pollers keep working on the suite's table."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from shared.local.fault_run import KILLS, PROBLEMS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def figures(request):
    done = subprocess.run([sys.executable, "-m", "shared.local.fault_run", "--messages", "1000", "--seed", "11", "--json"],
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode in (0, PROBLEMS), done.stderr[-3000:]  # PROBLEMS: the run found some, asserted below
    *lines, found = done.stdout.rstrip().splitlines()
    table = "\n".join(line for line in lines if not line.startswith('{"level"'))  # the sender's own log lines
    with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print("\n" + table)  # the figures, in the suite's output as the rights matrix is
    return SimpleNamespace(**json.loads(found))


def test_every_deliverable_text_reaches_twilio_exactly_once_and_none_is_lost(figures):
    assert figures.kills == list(KILLS)  # each kill fired once
    assert figures.lost == [] and figures.sent_not_reached == []
    assert figures.duplicates_sms == 0 and figures.duplicates_unreported == []
    assert figures.failed_but_reached == []
    assert figures.outcomes["sent"] >= 900  # 30% transient, 4 attempts: about 0.8% exhausted


def test_permanent_refusals_fail_with_their_code_and_exhausted_ones_are_dead_lettered(figures):
    assert figures.permanent_with_code > 0 and figures.permanent_without_code == []
    assert figures.exhausted > 0 and figures.exhausted_not_dead_lettered == []
    assert figures.dead_letters == figures.exhausted and figures.redriven == 0


def test_no_status_moves_back_and_the_counters_equal_a_recount(figures):
    assert figures.regressions == [] and figures.counter_differences == []
    assert figures.counters_recounted > 0


def test_every_report_is_stored_once_and_applied_whatever_the_copies_and_order(figures):
    assert figures.reports_out_of_order > 0 and figures.reports_posted > 2 * figures.reports  # 3 copies each
    assert figures.reports_stored == figures.reports  # one received event per (message, status)
    assert figures.reports_refused == [] and figures.reports_failed == []
    assert figures.sent_not_delivered == []  # a late `sent` after `delivered` moved nothing back
