"""TransactWriteItems throughput on moto, with and without ``shared.local.moto_txn``.

Each transaction is a Put of a new item plus an Update of a counter item, sent through boto3 to an
in-process ``mock_aws``. Run ``python -m shared.local.bench_txn``.
"""

from __future__ import annotations

import gc
import time

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from shared.local import moto_txn
from shared.local.bench_common import table

REGION = "us-east-1"


def measure(n_tx: int = 1000, big_table_items: int = 20000) -> dict[str, float]:
    """tx/s with the patch on an empty table and on one holding ``big_table_items`` items."""
    return _measure(n_tx, big_table_items, patched=True)


def measure_unpatched(n_tx: int = 20, big_table_items: int = 2000) -> dict[str, float]:
    """The same with moto's own implementation; keep the numbers small, it is O(table size) per item."""
    return _measure(n_tx, big_table_items, patched=False)


def _measure(n_tx: int, big_table_items: int, patched: bool) -> dict[str, float]:
    with mock_aws(), moto_txn.installed(patched):
        ddb = boto3.client("dynamodb", region_name=REGION)
        # Untimed: the first calls pay for botocore's model loading and moto's parser caches.
        _tx_per_s(ddb, _create_table(ddb, "bench-warm-up"), 5)
        empty = _tx_per_s(ddb, _create_table(ddb, "bench-empty"), n_tx)
        big_table = _create_table(ddb, "bench-big")
        _fill(big_table, big_table_items)
        big = _tx_per_s(ddb, big_table, n_tx)
    return {"empty_tx_per_s": empty, "big_tx_per_s": big, "ratio": big / empty}


def _create_table(ddb, name: str) -> str:
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _fill(table_name: str, n_items: int) -> None:
    # Straight into the backend: going through batch_write_item would dominate the run time.
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table_name)
    for i in range(n_items):
        table.put_item({"pk": {"S": f"fill#{i:07d}"}, "v": {"N": str(i)}, "payload": {"S": "x" * 100}})


def _tx_per_s(ddb, table_name: str, n_tx: int) -> float:
    # A full collection pending from import time would otherwise land in (and dominate) short runs.
    gc.collect()
    start = time.perf_counter()
    for i in range(n_tx):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table_name,
                        "Item": {"pk": {"S": f"tx#{i}"}, "v": {"N": "0"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": table_name,
                        "Key": {"pk": {"S": "counter"}},
                        "UpdateExpression": "ADD v :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    return n_tx / (time.perf_counter() - start)


def main() -> None:
    rows = []
    for label, n_tx, items, result in (("patched", 1000, 20000, measure(1000, 20000)),
                                       ("moto 5.2.5", 20, 2000, measure_unpatched(20, 2000))):
        rows += [[label, str(n_tx), "0", f"{result['empty_tx_per_s']:.1f}", ""],
                 [label, str(n_tx), f"{items:,}", f"{result['big_tx_per_s']:.1f}", f"{result['ratio']:.2f}"]]
    print(table(["implementation", "tx", "items", "tx/s", "full/empty"], rows))


if __name__ == "__main__":
    main()
