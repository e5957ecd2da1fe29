"""What local IAM enforcement adds to an AWS call: the check alone (the call's mapping and the role's
cached decision), per kind of call, against a real round trip of a GetItem to the embedded AWS."""

from __future__ import annotations

import time

from shared.local import iam
from shared.local.bench_common import table


def _calls(names: dict) -> list[tuple[str, str, str, str, dict]]:
    """(row, function, service, operation, parameters) for the kinds of call the functions make."""
    t = names["Table"]
    return [
        ("GetItem", "GetUsersFunction", "dynamodb", "GetItem", {"TableName": t, "Key": {}}),
        ("Query on GSI1", "GetUsersFunction", "dynamodb", "Query", {"TableName": t, "IndexName": "GSI1"}),
        ("TransactWriteItems, 4 items", "CreateUserFunction", "dynamodb", "TransactWriteItems",
         {"TransactItems": [{"Put": {"TableName": t}}] * 3 + [{"Update": {"TableName": t}}]}),  # as createUser writes
        ("SendMessage", "ExportClientDataFunction", "sqs", "SendMessage",
         {"QueueUrl": names["ExportQueue"], "MessageBody": "{}"}),
    ]


def report(runtime, n: int = 2000) -> None:
    """Print microseconds per check (median of 5 runs of `n`) and the GetItem round trip it guards."""
    rows = []
    for row, function, service, operation, params in _calls(runtime.aws.names):
        fn, client = runtime.functions[function], runtime.aws.client(service)
        role = runtime.iam.roles[function]
        iam.check(client, fn, role, operation, params)  # the decision is made once, then cached
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(n):
                iam.check(client, fn, role, operation, params)
            runs.append((time.perf_counter() - started) / n * 1e6)
        rows.append([row, function, f"{sorted(runs)[2]:.1f}"])
    print(table(["call", "function", "check us"], rows))
    fn, ddb, name = runtime.functions["GetUsersFunction"], runtime.aws.client("dynamodb"), runtime.aws.names["Table"]
    key = {"PK": {"S": "bench"}, "SK": {"S": "iam"}}
    started = time.perf_counter()
    with fn.acting():
        for _ in range(200):
            ddb.get_item(TableName=name, Key=key)
    print(f"a GetItem round trip to the embedded AWS, checked: {(time.perf_counter() - started) / 200 * 1e3:.2f} ms")
