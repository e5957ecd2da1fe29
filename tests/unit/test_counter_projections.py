"""Counters and search tokens stay exact: random user changes, stream records delivered twice and
out of order; every counter checked against a recount made by a separate query (not by the
projection code), and the token items against the tokens of the users as they finally are."""

from __future__ import annotations

import random
import sys
from collections import Counter as Tally
from pathlib import Path

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.db import projections
from shared.users import store
from tests.moto_table import projection_table

# mock_aws resets moto's process-wide state: run apart from the local runtime (see pyproject.toml).
pytestmark = pytest.mark.isolated

ROOT = Path(__file__).resolve().parents[2]
STREAMS_ENDPOINT = "https://streams.dynamodb.us-east-1.amazonaws.com"  # see tests/local/test_moto_txn.py
TENANT = "01JTENANT000000000000000000"
USER_STATS = f"T#{TENANT}#COUNTER#USERSTATS"  # as ACCESS_PATTERNS.md names it; no projection code imported here

op = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(["admin", "manager", "user"]), st.sampled_from(["active", "pending"])),
    st.tuples(st.just("status"), st.integers(0, 20), st.sampled_from(["active", "inactive", "suspended"])),
    st.tuples(st.just("role"), st.integers(0, 20), st.sampled_from(["admin", "manager", "user"])),
    st.tuples(st.just("verify"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("delete"), st.integers(0, 20), st.none()),
)


@pytest.fixture(autouse=True)
def _table(monkeypatch):
    with projection_table(monkeypatch):
        yield


def _apply(ops) -> list[str]:
    from shared.errors import NotFound
    from shared.ids import new_id

    ids: list[str] = []
    for kind, a, b in ops:
        if kind == "create":
            user = store.User(id=new_id(), client_id=TENANT, email=f"{new_id().lower()}@p.test", role=a, status=b)
            ids.append(store.create(user).id)
            continue
        if not ids:
            continue
        uid = ids[a % len(ids)]
        try:
            if kind == "delete":
                store.soft_delete(TENANT, uid, actor=None)
            else:
                field = {"status": "status", "role": "role", "verify": "email_verified", "first": "first_name",
                         "last": "last_name"}[kind]
                store.update(TENANT, uid, {field: b}, actor=None, operation="test")
        except NotFound:  # deleted users are 404 for later changes: that is part of the sequence
            pass
    return ids

# Names sharing prefixes and words, so that changes add, keep and drop tokens; None removes the name.
NAMES = st.sampled_from(["Ann", "Anna", "Annabel Lee", "Zoë Ångström", "Lee", "Ann-Lee", "Ōno Anna", None])
name_op = st.tuples(st.sampled_from(["first", "last"]), st.integers(0, 20), NAMES)


def _stream_records() -> list[dict]:
    streams = boto3.client("dynamodbstreams", region_name="us-east-1", endpoint_url=STREAMS_ENDPOINT)
    arn = boto3.client("dynamodb", region_name="us-east-1").describe_table(
        TableName="projection-test")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return streams.get_records(ShardIterator=it, Limit=1000)["Records"]


def _recount() -> Tally:
    """Counts from the users themselves, read through the list index (independent of projections)."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    tally: Tally = Tally()
    pages = ddb.get_paginator("query").paginate(
        TableName="projection-test", IndexName="GSI1", KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues={":p": {"S": f"T#{TENANT}#USERS"}})
    for page in pages:
        for item in page["Items"]:
            if "deleted_at" in item:
                continue
            tally["total"] += 1
            tally["status_" + item["status"]["S"]] += 1
            tally["role_" + item["role"]["S"]] += 1
            if item.get("email_verified", {}).get("BOOL"):
                tally["email_verified"] += 1
    return tally


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=25), seed=st.integers(0, 10_000))
def test_counters_equal_a_recount_whatever_the_delivery(ops, seed):
    _apply(ops)
    records = [r for r in _stream_records() if r["dynamodb"].get("NewImage", r["dynamodb"].get("OldImage", {}))
               .get("entity", {}).get("S") == "USER"]
    rng = random.Random(seed)
    delivery = records + rng.sample(records, k=len(records) // 2)  # every record, some twice
    rng.shuffle(delivery)  # and out of order
    for record in delivery:
        assert projections.process_batch([record]) == {"batchItemFailures": []}
    counted = {k: v for k, v in projections.read_counter(USER_STATS).items()
               if v and not k.startswith("active_") and k != "two_factor_enabled"}
    assert counted == {k: v for k, v in _recount().items() if v}


def test_a_record_older_than_the_applied_one_changes_nothing():
    from shared.ids import new_id

    user = store.create(store.User(id=new_id(), client_id=TENANT, email="o@p.test", role="user", status="active"))
    store.update(TENANT, user.id, {"status": "suspended"}, actor=None, operation="test")
    insert, modify = [r for r in _stream_records() if r["dynamodb"]["Keys"]["SK"]["S"] == "USER"]
    projections.process_batch([modify])
    applied = _table_items()
    # Late: acknowledged (a failure would hold the stream back retrying it), and nothing written at all.
    assert projections.process_batch([insert]) == {"batchItemFailures": []}
    assert _table_items() == applied
    counts = projections.read_counter(USER_STATS)
    assert counts.get("status_suspended") == 1 and counts.get("status_active", 0) == 0


@pytest.fixture
def gadgets_domain(monkeypatch):
    """A domain no code lists, on `shared`'s path for one test (and gone from the registry after it)."""
    import shared

    monkeypatch.setattr(shared, "__path__", [*shared.__path__, str(ROOT / "tests" / "fixtures" / "domains")])
    monkeypatch.setattr(projections, "_registry", {k: list(v) for k, v in projections._registry.items()})
    monkeypatch.setattr(projections, "_discovered", False)
    yield
    for name in [m for m in sys.modules if m == "shared.gadgets" or m.startswith("shared.gadgets.")]:
        del sys.modules[name]


def test_a_domains_projection_is_discovered_without_being_listed(gadgets_domain):
    from boto3.dynamodb.types import TypeSerializer

    image = {"PK": f"T#{TENANT}#GADGET#g1", "SK": "GADGET", "entity": "FIXTURE_GADGET", "id": "g1",
             "client_id": TENANT, "colour": "teal", "version": 1}
    record = {"eventName": "INSERT", "dynamodb": {
        "NewImage": {k: TypeSerializer().serialize(v) for k, v in image.items()}, "SequenceNumber": "1"}}
    assert projections.process_batch([record]) == {"batchItemFailures": []}
    assert projections.read_counter(f"T#{TENANT}#COUNTER#GADGETS") == {"total": 1, "colour_teal": 1}
    # The domains the product has are found the same way: a user written here is counted too.
    from shared.ids import new_id

    store.create(store.User(id=new_id(), client_id=TENANT, email="d@p.test", role="user", status="active"))
    written = [r for r in _stream_records() if r["dynamodb"]["Keys"]["SK"]["S"] == "USER"]
    assert projections.process_batch(written) == {"batchItemFailures": []}
    assert projections.read_counter(USER_STATS)["total"] == 1


def _table_items() -> list[dict]:
    """Every item of the table as stored, read apart from the projection code."""
    pages = boto3.client("dynamodb", region_name="us-east-1").get_paginator("scan").paginate(TableName="projection-test")
    return sorted((item for page in pages for item in page["Items"]), key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def _tokens_now() -> set[tuple[str, str]]:
    """Every search token item in the table (a test may scan; a request path never does)."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    pages = ddb.get_paginator("scan").paginate(TableName="projection-test", FilterExpression="entity = :t",
                                               ExpressionAttributeValues={":t": {"S": "SEARCH_TOKEN"}})
    return {(i["PK"]["S"], i["SK"]["S"]) for page in pages for i in page["Items"]}


def _tokens_of_the_users() -> set[tuple[str, str]]:
    """What the users as they are now should be found by: live users read through the list index."""
    from boto3.dynamodb.types import TypeDeserializer

    from shared.users.projections import user_search

    des = TypeDeserializer()
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    pages = ddb.get_paginator("query").paginate(
        TableName="projection-test", IndexName="GSI1", KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues={":p": {"S": f"T#{TENANT}#USERS"}})
    users = [{k: des.deserialize(v) for k, v in item.items()} for page in pages for item in page["Items"]]
    return set().union(*(user_search(u) for u in users))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.one_of(op, name_op), min_size=1, max_size=25), seed=st.integers(0, 10_000))
def test_search_tokens_equal_the_users_whatever_the_delivery(ops, seed):
    _apply([("create", "user", "active")] + ops)
    records = [r for r in _stream_records() if r["dynamodb"].get("NewImage", r["dynamodb"].get("OldImage", {}))
               .get("entity", {}).get("S") == "USER"]
    rng = random.Random(seed)
    delivery = records + rng.sample(records, k=len(records) // 2)  # every record, some twice
    rng.shuffle(delivery)  # and out of order
    for record in delivery:
        assert projections.process_batch([record]) == {"batchItemFailures": []}
    # hypothesis's examples share the table: the users of earlier examples count too
    assert _tokens_now() == _tokens_of_the_users()
