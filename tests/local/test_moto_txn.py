"""shared.local.moto_txn behaves like moto's own TransactWriteItems, minus the whole-table copies."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodbstreams.models import DynamoDBStreamsBackend

from shared.local import bench_txn, moto_txn

# mock_aws resets moto's process-wide state: run apart from the local runtime (see pyproject.toml).
pytestmark = pytest.mark.isolated

REGION = "us-east-1"
TABLE = "txn"
# botocore >= 1.40 sends StreamArn calls to account-scoped hosts ({account}.streams-ddb...), which moto
# 5.2.5 does not route: pin the classic endpoint.
STREAMS_ENDPOINT = f"https://streams.dynamodb.{REGION}.amazonaws.com"

BOTH = pytest.mark.parametrize("patched", [False, True], ids=["moto", "patched"])


@contextmanager
def aws(patched: bool):
    with mock_aws(), moto_txn.installed(patched):
        ddb = boto3.client("dynamodb", region_name=REGION)
        streams = boto3.client("dynamodbstreams", region_name=REGION, endpoint_url=STREAMS_ENDPOINT)
        yield ddb, streams


def create_table(ddb, with_sort_key: bool = False) -> None:
    key_schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = ["pk", "g", "v"]
    extra: dict = {}
    if with_sort_key:
        key_schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes += ["sk", "t"]
        extra["LocalSecondaryIndexes"] = [
            {
                "IndexName": "by_t",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "t", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    ddb.create_table(
        TableName=TABLE,
        KeySchema=key_schema,
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "N" if a == "v" else "S"} for a in attributes
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "v", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        **extra,
    )


def transact(ddb, items: list[dict]) -> tuple:
    """The call's outcome in comparable form."""
    try:
        ddb.transact_write_items(TransactItems=items)
    except ClientError as e:
        error = e.response["Error"]
        return ("error", error["Code"], error["Message"], e.response.get("CancellationReasons"))
    return ("ok",)


def _sorted(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def table_contents(ddb, with_sort_key: bool = False) -> dict[str, list[dict]]:
    contents = {"table": _sorted(ddb.scan(TableName=TABLE)["Items"])}
    for index in ["by_g", "by_t"] if with_sort_key else ["by_g"]:
        contents[index] = _sorted(ddb.scan(TableName=TABLE, IndexName=index)["Items"])
    return contents


def shard_iterator(ddb, streams, iterator_type: str = "TRIM_HORIZON") -> str:
    arn = ddb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard_id = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType=iterator_type)[
        "ShardIterator"
    ]


def read_stream(streams, iterator: str) -> list[tuple]:
    """Every record from ``iterator`` on, without the per-run fields (ids, sequence numbers, times)."""
    records = []
    while True:
        page = streams.get_records(ShardIterator=iterator)
        if not page["Records"]:
            return records
        records += [
            (
                r["eventName"],
                r["dynamodb"]["Keys"],
                r["dynamodb"].get("OldImage"),
                r["dynamodb"].get("NewImage"),
            )
            for r in page["Records"]
        ]
        iterator = page["NextShardIterator"]


def key(pk: str) -> dict:
    return {"pk": {"S": pk}}


def put(pk: str, v: int, condition: str | None = None, **attributes) -> dict:
    op = {"TableName": TABLE, "Item": {**key(pk), "v": {"N": str(v)}, **attributes}}
    if condition:
        op["ConditionExpression"] = condition
    return {"Put": op}


def update_v(pk: str, v: int, **extra) -> dict:
    values = {":v": {"N": str(v)}, **extra.pop("ExpressionAttributeValues", {})}
    return {
        "Update": {
            "TableName": TABLE,
            "Key": key(pk),
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": values,
            **extra,
        }
    }


def check(pk: str, condition: str, **extra) -> dict:
    return {"ConditionCheck": {"TableName": TABLE, "Key": key(pk), "ConditionExpression": condition, **extra}}


# --- equivalence with moto's own implementation --------------------------------------------------

PKS = [f"k{i}" for i in range(10)]
SKS = ["a", "b", "c"]  # with a sort key: at most 30 items
CONDITIONS = [
    "attribute_not_exists(pk)",
    "attribute_exists(pk)",
    "v = :ev",
    "attribute_not_exists(v) OR v < :ev",
]
# (expression, names, values); values are drawn per use.
UPDATES = [
    ("SET v = :n", {}, {":n": st.integers(0, 3).map(lambda n: {"N": str(n)})}),
    ("ADD v :one", {}, {":one": st.just({"N": "1"})}),
    ("SET v = v + :one", {}, {":one": st.just({"N": "1"})}),  # fails validation when v is missing
    ("SET #t = :t", {"#t": "t"}, {":t": st.sampled_from([{"S": "x"}, {"S": "y"}])}),
    (
        "SET g = :g ADD v :one",
        {},
        {":g": st.sampled_from([{"S": "g0"}, {"S": "g1"}]), ":one": st.just({"N": "1"})},
    ),
    ("REMOVE g", {}, {}),
]
OPTIONAL_ATTRIBUTES = {
    "v": st.integers(0, 3).map(lambda n: {"N": str(n)}),
    "g": st.sampled_from([{"S": "g0"}, {"S": "g1"}]),
    "t": st.sampled_from([{"S": "x"}, {"S": "y"}]),
}


def item_keys(with_sort_key: bool):
    pk = st.sampled_from(PKS).map(key)
    if not with_sort_key:
        return pk
    return st.builds(lambda k, sk: {**k, "sk": {"S": sk}}, pk, st.sampled_from(SKS))


@st.composite
def items(draw, with_sort_key: bool) -> dict:
    attributes = {name: draw(st.none() | s) for name, s in OPTIONAL_ATTRIBUTES.items()}
    return {**draw(item_keys(with_sort_key)), **{name: v for name, v in attributes.items() if v}}


@st.composite
def entries(draw, with_sort_key: bool) -> dict:
    kind = draw(st.sampled_from(["Put", "Update", "Delete", "ConditionCheck"]))
    op: dict = {"TableName": TABLE}
    names: dict = {}
    values: dict = {}
    if kind == "Put":
        op["Item"] = draw(items(with_sort_key))
    else:
        op["Key"] = draw(item_keys(with_sort_key))
    if kind == "Update":
        expression, names, value_strategies = draw(st.sampled_from(UPDATES))
        op["UpdateExpression"] = expression
        values = {name: draw(s) for name, s in value_strategies.items()}
    condition = draw(
        st.sampled_from(CONDITIONS) if kind == "ConditionCheck" else st.none() | st.sampled_from(CONDITIONS)
    )
    if condition:
        op["ConditionExpression"] = condition
        if ":ev" in condition:
            values[":ev"] = {"N": str(draw(st.integers(0, 3)))}
        if draw(st.booleans()):
            op["ReturnValuesOnConditionCheckFailure"] = draw(st.sampled_from(["ALL_OLD", "NONE"]))
    if names:
        op["ExpressionAttributeNames"] = names
    if values:
        op["ExpressionAttributeValues"] = values
    return {kind: op}


@st.composite
def scenarios(draw) -> tuple[bool, list[dict], list[list[dict]]]:
    """Table shape, items put before the transactions (so that conditions meet existing items), calls."""
    with_sort_key = draw(st.booleans())
    seed = draw(st.lists(items(with_sort_key), max_size=10))
    calls = draw(st.lists(st.lists(entries(with_sort_key), min_size=1, max_size=4), min_size=1, max_size=8))
    return with_sort_key, seed, calls


def run(patched: bool, with_sort_key: bool, seed: list[dict], calls: list[list[dict]]) -> dict:
    with aws(patched) as (ddb, streams):
        create_table(ddb, with_sort_key)
        for item in seed:
            ddb.put_item(TableName=TABLE, Item=item)
        outcomes = [transact(ddb, call) for call in calls]
        return {
            "outcomes": outcomes,
            "contents": table_contents(ddb, with_sort_key),
            "stream": read_stream(streams, shard_iterator(ddb, streams)),
        }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_same_outcomes_contents_and_stream_as_moto(scenario):
    assert run(True, *scenario) == run(False, *scenario)


# --- explicit cases, run against both implementations ---------------------------------------------


@BOTH
def test_failing_third_item_leaves_first_two_untouched_and_no_stream_record(patched):
    with aws(patched) as (ddb, streams):
        create_table(ddb)
        ddb.put_item(TableName=TABLE, Item={**key("a"), "v": {"N": "1"}})
        before = table_contents(ddb)
        recorded = len(read_stream(streams, shard_iterator(ddb, streams)))

        outcome = transact(ddb, [update_v("a", 2), put("b", 1), check("c", "attribute_exists(pk)")])

        assert outcome[:2] == ("error", "TransactionCanceledException")
        assert [reason["Code"] for reason in outcome[3]] == ["None", "None", "ConditionalCheckFailed"]
        assert table_contents(ddb) == before
        assert len(read_stream(streams, shard_iterator(ddb, streams))) == recorded


@BOTH
def test_cancellation_reasons_cover_every_item(patched):
    with aws(patched) as (ddb, _):
        create_table(ddb)
        ddb.put_item(TableName=TABLE, Item={**key("old"), "v": {"N": "7"}})
        ddb.put_item(TableName=TABLE, Item={**key("other"), "v": {"N": "8"}})

        outcome = transact(
            ddb,
            [
                put("new", 1),
                check("old", "attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_OLD"),
                put("other", 2, condition="attribute_not_exists(pk)"),
                update_v(
                    "missing",
                    3,
                    ConditionExpression="attribute_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
            ],
        )

        failed = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
        assert outcome[3] == [
            {"Code": "None"},
            {**failed, "Item": {**key("old"), "v": {"N": "7"}}},
            failed,
            failed,  # ALL_OLD of an absent item: no Item
        ]
        assert outcome[2].endswith(
            "[None, ConditionalCheckFailed, ConditionalCheckFailed, ConditionalCheckFailed]"
        )
        assert [item["pk"]["S"] for item in _sorted(ddb.scan(TableName=TABLE)["Items"])] == ["old", "other"]


@BOTH
def test_success_writes_every_item_and_its_stream_record(patched):
    with aws(patched) as (ddb, streams):
        create_table(ddb)
        for pk in ("upd", "del", "chk"):
            ddb.put_item(TableName=TABLE, Item={**key(pk), "v": {"N": "1"}, "g": {"S": "g0"}})
        iterator = shard_iterator(ddb, streams, "LATEST")

        outcome = transact(
            ddb,
            [
                put("new", 5, condition="attribute_not_exists(pk)", g={"S": "g1"}),
                update_v(
                    "upd", 2, ConditionExpression="v = :one", ExpressionAttributeValues={":one": {"N": "1"}}
                ),
                {"Delete": {"TableName": TABLE, "Key": key("del")}},
                check("chk", "attribute_exists(pk)"),
            ],
        )

        assert outcome == ("ok",)
        items = {item["pk"]["S"]: item for item in ddb.scan(TableName=TABLE)["Items"]}
        assert sorted(items) == ["chk", "new", "upd"]
        assert items["upd"]["v"] == {"N": "2"} and items["new"]["g"] == {"S": "g1"}
        by_g = ddb.query(
            TableName=TABLE,
            IndexName="by_g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "g0"}},
        )["Items"]
        assert sorted(item["pk"]["S"] for item in by_g) == ["chk", "upd"]
        events = read_stream(streams, iterator)
        assert [(name, keys["pk"]["S"]) for name, keys, _, _ in events] == [
            ("INSERT", "new"),
            ("MODIFY", "upd"),
            ("REMOVE", "del"),
        ]


def _validation_outcome(patched: bool, items: list[dict]) -> tuple:
    with aws(patched) as (ddb, streams):
        create_table(ddb)
        outcome = transact(ddb, items)
        return outcome, table_contents(ddb), read_stream(streams, shard_iterator(ddb, streams))


@pytest.mark.parametrize(
    "items",
    [
        [put("a", 1), put("b", 1), update_v("a", 2)],
        [put(f"p{i}", i) for i in range(101)],
        [put("a", 1), update_v("b", 1, UpdateExpression="SET v = v + :v")],  # v missing: validation
    ],
    ids=["same-item-twice", "over-100-items", "invalid-update"],
)
def test_validation_errors_match_moto_and_write_nothing(items):
    outcome, contents, stream = _validation_outcome(True, items)
    assert outcome[:2] == ("error", "ValidationException")
    assert contents["table"] == [] and stream == []
    assert (outcome, contents, stream) == _validation_outcome(False, items)


# --- where the patch deliberately differs from moto (towards AWS) ---------------------------------


def test_entry_with_two_operations_rolls_back_earlier_entries():
    with aws(True) as (ddb, streams):
        create_table(ddb)
        outcome = transact(ddb, [put("a", 1), {**put("b", 1), **check("b", "attribute_exists(pk)")}])

        assert outcome[:2] == ("error", "ValidationException")
        assert ddb.scan(TableName=TABLE)["Items"] == []
        assert read_stream(streams, shard_iterator(ddb, streams)) == []


def test_iterator_taken_before_a_failed_transaction_sees_only_later_writes():
    with aws(True) as (ddb, streams):
        create_table(ddb)
        iterator = shard_iterator(ddb, streams, "LATEST")

        transact(ddb, [put("a", 1), check("b", "attribute_exists(pk)")])
        ddb.put_item(TableName=TABLE, Item={**key("later"), "v": {"N": "1"}})

        assert [keys["pk"]["S"] for _, keys, _, _ in read_stream(streams, iterator)] == ["later"]


class _FakeLambdaBackend:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def send_dynamodb_items(self, function_arn, items, source):
        self.batches.append([item.to_json()["eventName"] for item in items])
        return "invoked"


class _FakeMapping:
    event_source_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/txn/stream/label"


def test_stream_lambdas_are_invoked_once_on_commit_and_never_for_a_cancelled_transaction(monkeypatch):
    lambdas = _FakeLambdaBackend()
    monkeypatch.setattr("moto.awslambda.utils.get_backend", lambda account_id, region: lambdas)
    with aws(True) as (ddb, _):
        create_table(ddb)
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(TABLE)
        table.lambda_event_source_mappings[f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:f"] = (
            _FakeMapping()
        )

        assert transact(ddb, [put("a", 1), check("b", "attribute_exists(pk)")])[0] == "error"
        assert lambdas.batches == []
        assert transact(ddb, [put("a", 1), put("b", 1)]) == ("ok",)
        assert lambdas.batches == [["INSERT", "INSERT"]]
        assert len(table.lambda_event_source_mappings) == 1


def test_stream_reader_waits_for_a_transaction_in_flight(monkeypatch):
    with aws(True) as (ddb, streams):
        create_table(ddb)
        iterator = shard_iterator(ddb, streams)
        seen: list[tuple] = []
        reader = threading.Thread(target=lambda: seen.extend(read_stream(streams, iterator)))
        write = moto_txn._write

        def write_then_read_concurrently(*args):
            write(*args)  # the Put's INSERT record is now in the shard, uncommitted
            reader.start()
            reader.join(timeout=0.3)  # long enough for a reader that is not held back to see it

        monkeypatch.setattr(moto_txn, "_write", write_then_read_concurrently)
        assert transact(ddb, [put("a", 1), check("b", "attribute_exists(pk)")])[0] == "error"
        reader.join()
        assert seen == []


def test_install_is_idempotent_and_uninstall_restores_moto():
    patched_methods = [(DynamoDBBackend, "transact_write_items"), (DynamoDBStreamsBackend, "get_records")]
    with moto_txn.installed(False):
        originals = [vars(owner)[name] for owner, name in patched_methods]
        moto_txn.install()
        patched = [vars(owner)[name] for owner, name in patched_methods]
        moto_txn.install()
        assert [vars(owner)[name] for owner, name in patched_methods] == patched
        assert all(p is not o for p, o in zip(patched, originals, strict=True))
        moto_txn.uninstall()
        moto_txn.uninstall()
        assert [vars(owner)[name] for owner, name in patched_methods] == originals


# --- cost -----------------------------------------------------------------------------------------


def test_transaction_cost_does_not_grow_with_table_size():
    result = bench_txn.measure(n_tx=50, big_table_items=2000)
    assert result["ratio"] > 0.3, result
