"""`echelonx bench`'s pieces on one or two handlers, one run each: the shape of what they report.

Behaviour only: timings vary with the machine, so no number here is compared with a budget.
About 15 s on a quiet machine (the shared runtime's start included), so not marked slow.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections import Counter
from pathlib import Path

import pytest

from shared.local import bench
from shared.local.bench_common import counting, table
from shared.local.functions import FunctionModule, discover

_MODULES = {"getUserById": "users/get_user_by_id", "login": "auth/login", "authorizer": "auth/authorizer"}


def _pick(*names: str) -> list[FunctionModule]:
    """The named functions only, as discover() describes them: a module elsewhere in functions/
    that is mid-edit must not fail these tests (the monolith test aside, which imports them all)."""
    picked = []
    for name in names:
        domain, stem = _MODULES[name].split("/")
        module = f"functions.{domain}.{stem}"
        spec = importlib.import_module(module).handler.spec
        picked.append(FunctionModule(Path("functions", domain, f"{stem}.py"), domain, module,
                                     f"{domain}/{stem}.handler", spec))
    return picked


def _measured(sample: bench.Sample) -> bool:
    return (sample.error is None and len(sample.cpu_ms) == 1 and sample.cpu > 0
            and sample.rss > 0 and math.isfinite(sample.cpu))


@pytest.fixture(scope="module")
def values(local):
    return bench.prepare(local, _pick("authorizer"))


def test_cold_starts_gives_a_number_per_row():
    samples = bench.cold_starts(_pick("getUserById"), runs=1, monolith=False)
    assert list(samples) == [bench.FLOOR, bench.BASELINE, bench.STACK, "getUserById"]
    assert all(_measured(s) for s in samples.values()), samples
    assert samples["getUserById"].kind == "api"
    r = bench.ratio(samples["getUserById"].cpu, samples[bench.FLOOR].cpu, samples[bench.BASELINE].cpu)
    assert math.isfinite(r)


def test_a_failing_child_is_reported_not_raised():
    samples = bench.measure({"broken": ("import no_such_module_here", (), "api")}, runs=1,
                            env=bench.child_env(), warm_up=False)
    assert "ModuleNotFoundError" in samples["broken"].error
    assert samples["broken"].failed and samples["broken"].cpu_ms == []


def test_the_authorizer_context_is_real(local, values):
    assert values.contexts["admin"]["user_id"] == values.user_id
    assert {ctx["role"] for ctx in values.contexts.values()} >= {"super_admin", "admin", "manager", "user"}
    event = bench.sample_event(_pick("getUserById")[0], values)
    assert event["requestContext"]["authorizer"]["lambda"] == values.contexts["admin"]
    assert event["pathParameters"]["id"] == values.user_id


def test_a_sample_event_keeps_its_callers_role(values):
    fake = dataclasses.replace(values, contexts={"admin": {"user_id": "A", "role": "admin"},
                                           "user": {"user_id": "U", "role": "user"}})
    event = bench.sample_event(_pick("getUserById")[0], fake)
    assert event["requestContext"]["authorizer"]["lambda"] == {"user_id": "A", "role": "admin"}


def test_first_request_in_a_child(local, values):
    samples, missing = bench.first_requests(_pick("getUserById"), values, runs=1)
    assert missing == []
    assert list(samples) == [bench.FLOOR, bench.BASELINE, bench.STACK, "getUserById"]
    assert all(_measured(s) for s in samples.values()), samples
    assert samples["getUserById"].statuses == {"200"}


def test_dynamodb_calls_are_counted_for_the_handler_alone(local, values):
    rows, missing = bench.dynamodb_calls(_pick("getUserById", "login"), values)
    assert missing == []
    by_name = {row.operation: row for row in rows}
    assert set(by_name) == {"getUserById", "login"}
    for row in rows:
        assert row.error is None, row.error
        assert row.statuses == ["200", "200"]
        assert all(isinstance(n, int) and n >= 1 for n in row.calls), row.calls
        assert row.scans == 0


def test_calls_on_other_threads_are_not_counted(local):
    import threading

    import boto3

    def other():
        boto3.client("dynamodb").list_tables()

    with counting() as tally:
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert tally.calls == Counter() and tally.items == 0
    with counting() as tally:
        other()
    assert tally.calls == Counter(ListTables=1)


def test_items_read_are_what_dynamodb_read_before_the_filter(local):
    ddb, table_name = local.aws.client("dynamodb"), local.aws.names["Table"]
    partition = "P#BENCH-COUNT-TEST"
    for i in range(3):
        ddb.put_item(TableName=table_name, Item={"PK": {"S": partition}, "SK": {"S": f"I#{i}"}, "n": {"N": str(i)}})
    with counting() as tally:
        got = ddb.query(TableName=table_name, KeyConditionExpression="PK = :pk", FilterExpression="n = :two",
                        ExpressionAttributeValues={":pk": {"S": partition}, ":two": {"N": "2"}})
        ddb.get_item(TableName=table_name, Key={"PK": {"S": partition}, "SK": {"S": "I#0"}})
        ddb.get_item(TableName=table_name, Key={"PK": {"S": partition}, "SK": {"S": "absent"}})
    assert len(got["Items"]) == 1
    assert tally.calls == Counter(Query=1, GetItem=2) and tally.total == 3
    assert tally.items == 3 + 1  # the query read all three to return one; a missing item reads none


def test_monolith_routes_every_api_operation():
    from shared.local import monolith

    fns = discover()
    assert set(monolith.HANDLERS) == {fn.module for fn in fns}
    assert {f"{fn.spec.method} {fn.spec.route}" for fn in fns if fn.spec.kind == "api"} <= set(monolith.ROUTES)
    assert monolith.handler({"routeKey": "GET /no/such/route"}, None)["statusCode"] == 404


def test_the_monolith_is_measured_like_a_handler():
    samples = bench.cold_starts([], runs=1)
    assert list(samples) == [bench.FLOOR, bench.BASELINE, bench.STACK, bench.MONOLITH]
    assert _measured(samples[bench.MONOLITH]), samples[bench.MONOLITH]


def test_call_limits_follow_the_budgets():
    assert bench.call_limit("getUserById") == 2
    assert bench.call_limit("getUsers") == 2
    assert bench.call_limit("listThings") == 2
    assert bench.call_limit("getUserStats") == 3
    assert bench.call_limit("createUser") is None


def test_tables_are_aligned():
    text = table(["name", "ms"], [["a", "1.0"], ["longer name", "123.4"]])
    lines = text.splitlines()
    assert len(lines) == 4
    assert len({len(line) for line in lines}) == 1  # the last column is right-aligned
    assert lines[3].startswith("longer name")
    two = table(["size", "operation", "calls"], [["1,000", "getUsers", "2"], ["20,000", "searchUsers", "12"]], left=2)
    assert two.splitlines()[2].startswith("1,000   getUsers ")  # names left-aligned, figures right


def test_the_iam_check_is_measured_per_kind_of_call(local, capsys):
    from shared.local import bench_iam

    bench_iam.report(local, n=10)
    out = capsys.readouterr().out
    rows = [line.split("  ")[0] for line in out.splitlines()[2:6]]
    assert rows == ["GetItem", "Query on GSI1", "TransactWriteItems, 4 items", "SendMessage"], out
    assert "a GetItem round trip to the embedded AWS, checked:" in out
