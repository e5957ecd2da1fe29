"""Sharded counters and bounded free-text dimensions stay exact: a toy entity, registered here, with a
counter spread over 4 shards that counts a closed category, a free-text channel and a list of tags
(each at most 3 values of their own). Its items are written to moto's table and their stream records
made as DynamoDB makes them, then delivered duplicated and out of order; the counters are compared
with the items themselves and with `shared.db.recount`."""

from __future__ import annotations

import random
from collections import Counter as Tally

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.db import projections, recount
from shared.ids import new_id
from shared.local.bench_common import counting
from tests.moto_table import projection_table

pytestmark = pytest.mark.isolated  # mock_aws: run apart from the local runtime

TABLE = "projection-test"
SHARDS, CHANNELS, TAGS = 4, 3, 3
_ser, _des = TypeSerializer(), TypeDeserializer()


def stats_key(client_id: str) -> str:
    return f"T#{client_id}#COUNTER#TOYS"


def toy_stats(toy: dict) -> projections.Contribution:
    return projections.tally(toy, stats_key(toy["client_id"]), {"colour": "colour"},
                             open_categories={"channel": ("channel", CHANNELS), "tags": ("tag", TAGS)})


@pytest.fixture(autouse=True)
def _table(monkeypatch):
    with projection_table(monkeypatch, TABLE):
        yield


@pytest.fixture(autouse=True)
def toys(monkeypatch):
    """The toy entity's counter and where its items are, for this test only."""
    projections.registered("TOY")  # the product's own declarations first, then this test's beside them
    monkeypatch.setattr(projections, "_registry", {k: list(v) for k, v in projections._registry.items()})
    monkeypatch.setattr(projections, "_readers", list(projections._readers))
    projections.counter("TOY", "toy-stats", shards=SHARDS)(toy_stats)
    projections.counted_items("TOY")(lambda client_id: projections.query_images(f"T#{client_id}#TOYS", index="GSI1")
                                     if client_id else iter(()))


class Toys:
    """Writes toys to the table as a store would (a version per write) and keeps the stream records
    DynamoDB would emit for them."""

    def __init__(self, tenant: str):
        self.tenant, self.ids, self.records = tenant, [], []
        self.ddb = boto3.client("dynamodb", region_name="us-east-1")
        self.now: dict[str, dict] = {}

    def create(self, colour: str, channel: str | None = None, tags: list[str] | None = None) -> str:
        toy_id = f"toy{len(self.ids):04d}"  # the same keys, and so the same shards, on every run
        self.ids.append(toy_id)
        self._write({"PK": f"T#{self.tenant}#TOY#{toy_id}", "SK": "TOY", "entity": "TOY", "id": toy_id,
                     "client_id": self.tenant, "GSI1PK": f"T#{self.tenant}#TOYS", "GSI1SK": toy_id, "version": 0,
                     "colour": colour, "channel": channel, "tags": tags})
        return toy_id

    def update(self, toy_id: str, **changes) -> None:
        if toy_id in self.now:
            self._write({**self.now[toy_id], **changes})

    def remove(self, toy_id: str) -> None:
        old = self.now.pop(toy_id, None)
        if old is not None:
            self.ddb.delete_item(TableName=TABLE, Key={"PK": {"S": old["PK"]}, "SK": {"S": "TOY"}})
            self._record("REMOVE", old, None)

    def _write(self, toy: dict) -> None:
        toy = {k: v for k, v in toy.items() if v is not None and v != []}
        toy["version"] = toy.get("version", 0) + 1
        old = self.now.get(toy["id"])
        self.now[toy["id"]] = toy
        self.ddb.put_item(TableName=TABLE, Item=_raw(toy))
        self._record("MODIFY" if old else "INSERT", old, toy)

    def _record(self, event: str, old: dict | None, new: dict | None) -> None:
        data = {"Keys": _raw({"PK": (new or old)["PK"], "SK": "TOY"}), "SequenceNumber": str(len(self.records) + 1)}
        data.update({"OldImage": _raw(old)} if old else {})
        data.update({"NewImage": _raw(new)} if new else {})
        self.records.append({"eventName": event, "dynamodb": data})


def _raw(image: dict) -> dict:
    return {k: _ser.serialize(v) for k, v in image.items()}


def deliver(records: list[dict]) -> None:
    for record in records:
        assert projections.process_batch([record]) == {"batchItemFailures": []}


def counted(tenant: str) -> dict[str, int]:
    return {f: n for f, n in projections.read_counter(stats_key(tenant), shards=SHARDS).items() if n}


def admitted(tenant: str, prefix: str) -> set[str]:
    """The values admitted to their own field, read apart from the projection code."""
    key = {"PK": {"S": f"{stats_key(tenant)}#VALUES#{prefix}"}, "SK": {"S": "VALUES"}}
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(TableName=TABLE, Key=key).get("Item", {})
    return set(item.get("admitted", {}).get("SS", []))


def expected(tenant: str) -> dict[str, int]:
    """The tenant's counter from its live toys as stored and the admitted values: no projection code."""
    pages = boto3.client("dynamodb", region_name="us-east-1").get_paginator("query").paginate(
        TableName=TABLE, IndexName="GSI1", KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues={":p": {"S": f"T#{tenant}#TOYS"}})
    channels, tags = admitted(tenant, "channel"), admitted(tenant, "tag")
    tally: Tally = Tally()
    for raw in (item for page in pages for item in page["Items"]):
        toy = {k: _des.deserialize(v) for k, v in raw.items()}
        if toy.get("deleted_at"):
            continue
        tally["total"] += 1
        tally[f"colour_{toy['colour']}"] += 1
        if toy.get("channel"):
            tally[f"channel_{toy['channel']}" if toy["channel"] in channels else "channel_other"] += 1
        for tag in set(toy.get("tags", [])) - {""}:
            tally[f"tag_{tag}" if tag in tags else "tag_other"] += 1
    return {f: n for f, n in tally.items() if n}


# --- sharding ------------------------------------------------------------------------------------
def test_an_items_contribution_always_goes_to_the_same_shard_and_items_spread_over_all():
    tenant, fn = new_id(), projections.registered("TOY")[-1][2]
    toy = {"PK": f"T#{tenant}#TOY#x", "SK": "TOY", "client_id": tenant, "colour": "red"}
    (key,) = fn(toy)
    assert all(fn({**toy, "colour": colour}).keys() == {key} for colour in ("blue", "green"))
    assert key in projections.shard_keys(stats_key(tenant), SHARDS)
    used = {next(iter(fn({**toy, "PK": f"T#{tenant}#TOY#{i}"}))) for i in range(100)}
    assert used == set(projections.shard_keys(stats_key(tenant), SHARDS))
    # Shard 0 is the counter's own key: a counter declared with one shard keeps the key it had.
    assert projections.shard_keys(stats_key(tenant), SHARDS)[0] == stats_key(tenant)
    assert projections.shard_keys(stats_key(tenant), 1) == [stats_key(tenant)]


def test_a_sharded_counter_sums_its_shards_in_one_call():
    tenant = "01JTOYTENANT00000000000000"
    toys = Toys(tenant)
    for i in range(40):
        toys.create(("red", "blue")[i % 2])
    deliver(toys.records)
    with counting() as calls:
        assert counted(tenant) == {"total": 40, "colour_red": 20, "colour_blue": 20}
    assert dict(calls.calls) == {"BatchGetItem": 1} and calls.items == SHARDS
    shards = projections.read_counters(projections.shard_keys(stats_key(tenant), SHARDS))
    assert all(0 < shard["total"] < 40 for shard in shards.values())  # spread, none holding it all


def test_a_replayed_stream_changes_nothing():
    tenant = new_id()
    toys = Toys(tenant)
    first, second = toys.create("red", "web", ["a"]), toys.create("blue", "ads")
    toys.update(first, colour="blue", tags=["a", "b"])
    toys.remove(second)
    deliver(toys.records)
    applied = _table_items()
    deliver(list(reversed(toys.records)) + toys.records)
    assert _table_items() == applied
    assert counted(tenant) == {"total": 1, "colour_blue": 1, "channel_web": 1, "tag_a": 1, "tag_b": 1}


# --- bounded free-text dimensions ----------------------------------------------------------------
def test_values_past_the_limit_count_as_other_and_removals_stay_exact():
    tenant = new_id()
    toys = Toys(tenant)
    made = {channel: toys.create("red", channel) for channel in ("web", "ads", "shop", "event", "fair")}
    toys.create("red", "web")
    deliver(toys.records)
    assert admitted(tenant, "channel") == {"web", "ads", "shop"}  # the first three, in the order they came
    assert counted(tenant) == {"total": 6, "colour_red": 6, "channel_web": 2, "channel_ads": 1, "channel_shop": 1,
                               "channel_other": 2}
    toys.remove(made["ads"])  # an admitted value's last item: its field goes to 0, the value keeps its place
    toys.remove(made["fair"])  # an item counted as other leaves other
    toys.update(made["web"], channel="event")  # from its own field to other
    toys.create("red", "stall")  # a new value: the set is full, and stays as it was
    deliver(toys.records[-4:])
    assert admitted(tenant, "channel") == {"web", "ads", "shop"}
    assert counted(tenant) == {"total": 5, "colour_red": 5, "channel_web": 1, "channel_shop": 1, "channel_other": 3}
    assert projections.top_values(counted(tenant), "channel", 1) == [("shop", 1), ("other", 4)]
    assert projections.top_values(counted(tenant), "channel", 5) == [("shop", 1), ("web", 1), ("other", 3)]


def test_a_list_field_counts_each_distinct_value_once():
    tenant = new_id()
    toys = Toys(tenant)
    toys.create("red", tags=["vip", "vip", "early", ""])
    toys.create("red", tags=["early", "gym", "spa", "pool"])
    deliver(toys.records)
    assert admitted(tenant, "tag") == {"vip", "early", "gym"}
    assert counted(tenant) == {"total": 2, "colour_red": 2, "tag_vip": 1, "tag_early": 2, "tag_gym": 1, "tag_other": 2}
    assert counted(tenant) == expected(tenant)


def test_two_consumers_racing_for_the_last_place_admit_one(monkeypatch):
    tenant = new_id()
    toys = Toys(tenant)
    toys.create("red", "web")
    toys.create("red", "ads")
    deliver(toys.records)
    toys.create("red", "shop")
    toys.create("red", "fair")
    late, early = toys.records[-2:]
    state, raced = projections._states, []

    def the_other_consumer_first(*args):  # between this consumer's read and its write, the other one commits
        found = state(*args)
        if not raced:
            raced.append(1)
            deliver([early])
        return found

    monkeypatch.setattr(projections, "_states", the_other_consumer_first)
    deliver([late])
    assert raced and admitted(tenant, "channel") == {"web", "ads", "fair"}
    assert counted(tenant) == {"total": 4, "colour_red": 4, "channel_web": 1, "channel_ads": 1, "channel_fair": 1,
                               "channel_other": 1}


# --- recount -------------------------------------------------------------------------------------
def test_the_recount_repairs_damaged_shards_even_one_no_item_lands_in():
    tenant = "01JTOYTENANT00000000000000"  # fixed keys: these two toys land in two of the four shards
    toys = Toys(tenant)
    for channel in ("web", "ads"):
        toys.create("red", channel)
    deliver(toys.records)
    right, fn = counted(tenant), projections.registered("TOY")[-1][2]
    used = {next(iter(fn(toy))) for toy in toys.now.values()}
    shards = projections.shard_keys(stats_key(tenant), SHARDS)
    damaged = [next(k for k in shards if k in used), next(k for k in shards if k not in used)]
    for shard in damaged:
        boto3.client("dynamodb", region_name="us-east-1").update_item(
            TableName=TABLE, Key={"PK": {"S": shard}, "SK": {"S": "COUNTER"}},
            UpdateExpression="ADD #t :n, channel_web :n", ExpressionAttributeNames={"#t": "total"},
            ExpressionAttributeValues={":n": {"N": "5"}})
    found = recount.recount(tenant, dry_run=True)
    assert {(d.counter, d.field, d.stored - d.recounted) for d in found.differences} == {
        (shard, field, 5) for shard in damaged for field in ("total", "channel_web")}
    assert counted(tenant)["total"] == right["total"] + 10  # a dry run writes nothing
    assert recount.recount(tenant, dry_run=False).written
    assert counted(tenant) == right and not recount.recount(tenant, dry_run=True).differences


def test_the_recount_brings_a_lost_record_in_and_admits_its_value():
    tenant = new_id()
    toys = Toys(tenant)
    toys.create("red", "web")
    toys.create("blue", "ads", ["x"])
    deliver(toys.records[:1])  # the second record is lost
    found = recount.recount(tenant, dry_run=True)
    assert found.behind == 1
    assert {(d.field, d.recounted) for d in found.differences} >= {("channel_ads", 1), ("tag_x", 1)}
    assert admitted(tenant, "channel") == {"web"}  # a dry run admits nothing
    assert recount.recount(tenant, dry_run=False).written
    assert admitted(tenant, "channel") == {"web", "ads"}
    assert counted(tenant) == expected(tenant) == {"total": 2, "colour_red": 1, "colour_blue": 1, "channel_web": 1,
                                                   "channel_ads": 1, "tag_x": 1}
    after = recount.recount(tenant, dry_run=True)
    assert (after.behind, after.differences) == (0, [])


# --- property ------------------------------------------------------------------------------------
CHANNEL = st.sampled_from(["web", "ads", "shop", "event", "fair", None])
TAG_LIST = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=3)
op = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(["red", "blue"]), CHANNEL, TAG_LIST),
    st.tuples(st.just("update"), st.integers(0, 20), CHANNEL, TAG_LIST),
    st.tuples(st.just("colour"), st.integers(0, 20), st.sampled_from(["red", "blue", "green"]), st.none()),
    st.tuples(st.just("soft_delete"), st.integers(0, 20), st.none(), st.none()),
    st.tuples(st.just("remove"), st.integers(0, 20), st.none(), st.none()),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=20), seed=st.integers(0, 10_000))
def test_counters_equal_the_items_and_a_recount_whatever_the_delivery(ops, seed):
    tenant = new_id()  # a tenant per example: its value sets start empty
    toys = Toys(tenant)
    for kind, a, b, c in ops:
        if kind == "create":
            toys.create(a, b, c)
        elif toys.ids:
            toy_id = toys.ids[a % len(toys.ids)]
            if kind == "update":
                toys.update(toy_id, channel=b, tags=c)
            elif kind == "colour":
                toys.update(toy_id, colour=b)
            elif kind == "soft_delete":
                toys.update(toy_id, deleted_at=1)
            else:
                toys.remove(toy_id)
    rng = random.Random(seed)
    delivery = toys.records + rng.sample(toys.records, k=len(toys.records) // 2)  # every record, some twice
    rng.shuffle(delivery)  # and out of order
    deliver(delivery)
    assert len(admitted(tenant, "channel")) <= CHANNELS and len(admitted(tenant, "tag")) <= TAGS
    assert counted(tenant) == expected(tenant)
    found = recount.recount(tenant, dry_run=True)
    assert (found.behind, found.differences) == (0, [])


def _table_items() -> list[dict]:
    """Every item of the table as stored (a test may scan; a request path never does)."""
    pages = boto3.client("dynamodb", region_name="us-east-1").get_paginator("scan").paginate(TableName=TABLE)
    return sorted((item for page in pages for item in page["Items"]), key=lambda i: (i["PK"]["S"], i["SK"]["S"]))
