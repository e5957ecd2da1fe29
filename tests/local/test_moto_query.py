"""shared.local.moto_query answers every Query exactly as moto does, from the partition alone."""

from __future__ import annotations

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from shared.local import moto_query

pytestmark = pytest.mark.isolated

REGION, TABLE = "us-east-1", "query"
PARTITIONS, GROUPS = ["a", "b", "c"], ["x", "y"]

item = st.fixed_dictionaries({
    "pk": st.sampled_from(PARTITIONS), "sk": st.text("0123", min_size=1, max_size=3),
    "g": st.one_of(st.none(), st.sampled_from(GROUPS)), "n": st.integers(0, 5)})
question = st.fixed_dictionaries({
    "index": st.sampled_from([None, "by_g"]), "key": st.sampled_from(PARTITIONS + GROUPS + ["zz"]),
    "between": st.one_of(st.none(), st.tuples(st.text("0123", min_size=1, max_size=2), st.text("0123", min_size=1, max_size=3))),
    "forward": st.booleans(), "limit": st.integers(1, 4), "min_n": st.one_of(st.none(), st.integers(0, 5))})


def _table():
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g")],
                     GlobalSecondaryIndexes=[{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                              "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                            {"AttributeName": "sk", "KeyType": "RANGE"}]}])
    return ddb


def _pages(ddb, q: dict) -> list:
    """Every page of the query, followed by its cursors, as the client sees them."""
    key = "g" if q["index"] else "pk"
    condition, values = "#k = :k", {":k": {"S": q["key"]}}
    if q["between"]:
        condition += " AND sk BETWEEN :lo AND :hi"
        low, high = sorted(q["between"])  # BETWEEN wants low <= high, or DynamoDB refuses it
        values |= {":lo": {"S": low}, ":hi": {"S": high}}
    kwargs = {"TableName": TABLE, "KeyConditionExpression": condition, "ExpressionAttributeNames": {"#k": key},
              "ExpressionAttributeValues": values, "ScanIndexForward": q["forward"], "Limit": q["limit"]}
    if q["index"]:
        kwargs["IndexName"] = q["index"]
    if q["min_n"] is not None:
        kwargs["FilterExpression"], values[":n"] = "#n >= :n", {"N": str(q["min_n"])}
        kwargs["ExpressionAttributeNames"]["#n"] = "n"
    pages, start = [], None
    for _ in range(50):
        got = ddb.query(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
        pages.append((got["Items"], got["Count"], got["ScannedCount"], got.get("LastEvaluatedKey")))
        start = got.get("LastEvaluatedKey")
        if not start:
            break
    return pages


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(item, max_size=25), questions=st.lists(question, min_size=1, max_size=4))
def test_patched_query_answers_as_moto_does(items, questions):
    with mock_aws():
        ddb = _table()
        for it in items:
            ddb.put_item(TableName=TABLE, Item={"pk": {"S": it["pk"]}, "sk": {"S": it["sk"]}, "n": {"N": str(it["n"])},
                                                **({"g": {"S": it["g"]}} if it["g"] else {})})
        for q in questions:
            moto_answers = _pages(ddb, q)
            moto_query.install()
            try:
                assert _pages(ddb, q) == moto_answers
            finally:
                moto_query.uninstall()


def test_a_query_reads_only_its_partition():
    """The reason for the patch: moto's Query compares every item of the table; ours only the partition's."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    compared = []
    real_eq = DynamoType.__eq__

    def counting_eq(self, other):
        compared.append(1)
        return real_eq(self, other)

    with mock_aws():
        ddb = _table()
        for i in range(300):
            ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"p{i % 100}"}, "sk": {"S": str(i)}})
        counts = {}
        for patched in (False, True):
            if patched:
                moto_query.install()
            DynamoType.__eq__ = counting_eq
            try:
                ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p7"}})
            finally:
                DynamoType.__eq__ = real_eq
                moto_query.uninstall()
            counts[patched], compared[:] = len(compared), []
    assert counts[True] * 20 < counts[False], counts
