"""Member counters stay exact: random member creates (one at a time and in bulk), CSV imports (new
members and updates of existing ones, through the import worker), updates, tier changes, engagement
changes, deletes and erasures, their stream records delivered twice and out of
order; every member counter compared with a tally made here from the members themselves (read
through the list index, not by the projection code), and `echelonx recount` (shared.db.recount)
agreeing that nothing differs."""

from __future__ import annotations

import random
from collections import Counter as Tally
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from shared.db import projections, recount
from shared.local.template import load

pytestmark = pytest.mark.isolated  # mock_aws resets moto's process-wide state

ROOT = Path(__file__).resolve().parents[2]
STREAMS_ENDPOINT = "https://streams.dynamodb.us-east-1.amazonaws.com"
TENANT = "01JTENANT000000000000000000"
STATS = f"T#{TENANT}#COUNTER#MEMBERSTATS"  # as the projections' docstring names it
DAY = 86_400_000
NOW = int(datetime(2026, 5, 20, 12, tzinfo=UTC).timestamp() * 1000)

TIER = st.sampled_from(["basic", "premium", "elite", "executive"])
STATUS = st.sampled_from(["active", "pending", "suspended", "churned"])
SPEND = st.one_of(st.none(), st.decimals(min_value=0, max_value=9000, places=2, allow_nan=False))
CHANNEL = st.sampled_from([None, "instagram", "tv", "referral", "Email newsletter"])
SCORE = st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda f: round(f, 2)))
ACTIVE = st.one_of(st.none(), st.integers(0, 60).map(lambda days: NOW - days * DAY))
WHO = st.integers(0, 30)

op = st.one_of(
    st.tuples(st.just("create"), st.fixed_dictionaries({"tier": TIER, "status": STATUS, "total_spend": SPEND,
                                                        "acquisition_channel": CHANNEL, "last_active": ACTIVE}),
              st.none()),
    st.tuples(st.just("bulk"), st.lists(st.tuples(TIER, SPEND, CHANNEL), min_size=2, max_size=5), st.none()),
    # An import: rows naming an existing member (by index, updated) or a new one (None, created).
    st.tuples(st.just("import"), st.lists(st.tuples(st.one_of(st.none(), WHO), TIER, STATUS, SPEND, CHANNEL),
                                          min_size=1, max_size=6), st.none()),
    st.tuples(st.just("tier"), WHO, TIER),
    st.tuples(st.just("update"), WHO, st.fixed_dictionaries({"status": STATUS, "total_spend": SPEND,
                                                             "acquisition_channel": CHANNEL, "last_active": ACTIVE})),
    st.tuples(st.just("engagement"), WHO, SCORE),
    st.tuples(st.just("refer"), WHO, WHO),
    st.tuples(st.just("delete"), WHO, st.none()),
    st.tuples(st.just("erase"), WHO, st.none()),
)


@pytest.fixture(autouse=True)
def _table(monkeypatch):
    from shared import clock
    from shared.db.table import Item

    monkeypatch.setenv("TABLE_NAME", "member-counters")
    monkeypatch.setenv("IMPORT_BUCKET", "member-counters-imports")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="member-counters-imports")
        props = load(ROOT / "template.yaml")["Resources"]["Table"]["Properties"]
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="member-counters", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=props["AttributeDefinitions"], KeySchema=props["KeySchema"],
            GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        key = boto3.client("kms", region_name="us-east-1").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
        monkeypatch.setenv("ERASURE_KEY_ID", key["KeyMetadata"]["KeyId"])
        models = _models(Item)
        for model in models:
            model._connection = None  # a fresh connection inside this mock
        clock.freeze(NOW)
        yield
        clock.reset()
        for model in models:
            model._connection = None


def _models(base: type) -> list[type]:
    return [base, *(model for sub in base.__subclasses__() for model in _models(sub))]


def _apply(ops) -> None:
    from shared.core.actor import Actor, Scope
    from shared.errors import NotFound
    from shared.ids import new_id
    from shared.members import store

    admin = Scope(Actor(new_id(), "admin", TENANT), TENANT)
    ids: list[str] = []

    def create(**fields) -> None:
        member = store.Member(id=new_id(), client_id=TENANT, member_id=f"m-{new_id()}", **fields)
        member.email = f"{member.member_id.lower()}@counters.test"
        ids.append(store.create(member).id)

    for kind, a, b in ops:
        if kind == "create":
            create(**{k: v for k, v in a.items() if v is not None})
            continue
        if kind == "bulk":
            for tier, spend, channel in a:
                create(tier=tier, status="active", **{k: v for k, v in (("total_spend", spend),
                                                                        ("acquisition_channel", channel)) if v is not None})
            continue
        if kind == "import":
            _import(a, ids)
            continue
        if not ids:
            continue
        try:
            _change(kind, ids[a % len(ids)], b, ids, admin)
        except NotFound:  # a deleted member is 404 to later changes: that is part of the sequence
            pass


class _Context:
    aws_request_id = "counters-test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 600_000


def _import(rows, ids: list[str]) -> None:
    """The rows as a CSV run through the import worker: a row naming an existing member updates it."""
    from shared.ids import new_id
    from shared.members import import_worker, imports, store

    lines = ["member_id,email,tier,status,total_spend,acquisition_channel"]
    for who, tier, status, spend, channel in rows:
        if who is not None and ids:
            member_id = store.get(TENANT, ids[who % len(ids)], include_deleted=True).member_id  # deleted: its id is free
            email = ""
        else:
            member_id = f"m-{new_id()}"
            email = f"{member_id.lower()}@counters.test"
        lines.append(",".join([member_id, email, tier, status, "" if spend is None else str(spend),
                               f'"{channel}"' if channel else ""]))
    job = imports.create_job(None, TENANT)
    boto3.client("s3", region_name="us-east-1").put_object(Bucket="member-counters-imports", Key=job.s3_key,
                                                           Body="\n".join(lines).encode())
    assert import_worker.run(TENANT, job.id, _Context()) == "completed"
    created = [m.id for m in store.list_members(TENANT, store.Filters(), include_deleted=False, limit=1000, cursor=None)[0]
               if m.id not in ids]
    ids.extend(created)


def _change(kind: str, member: str, value, ids: list[str], admin) -> None:
    from shared.members import privacy, store

    if kind == "delete":
        store.soft_delete(TENANT, member, actor=None)
    elif kind == "erase":
        privacy.erase_member(admin, member)
    else:
        changes = {"tier": lambda: {"tier": value}, "update": lambda: value,
                   "engagement": lambda: {"engagement_score": value},
                   "refer": lambda: {"referred_by": ids[value % len(ids)] if value % 3 else None}}[kind]()
        store.update(TENANT, member, changes, actor=None, operation="test")  # refer: one in three to nobody


def _records() -> list[dict]:
    streams = boto3.client("dynamodbstreams", region_name="us-east-1", endpoint_url=STREAMS_ENDPOINT)
    arn = boto3.client("dynamodb", region_name="us-east-1").describe_table(
        TableName="member-counters")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = []
    while it:
        page = streams.get_records(ShardIterator=it, Limit=1000)
        out += page["Records"]
        it = page.get("NextShardIterator") if page["Records"] else None
    return out


def _band(value, edges: list[tuple[float, str]]) -> str:
    return next(name for lowest, name in edges if value >= lowest)


def _tally() -> Tally:
    """What the live members add up to, computed here from the items read through the list index."""
    ddb, des = boto3.client("dynamodb", region_name="us-east-1"), TypeDeserializer()
    pages = ddb.get_paginator("query").paginate(
        TableName="member-counters", IndexName="GSI1", KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues={":p": {"S": f"T#{TENANT}#MEMBERS"}})
    tally: Tally = Tally()
    for raw in (item for page in pages for item in page["Items"]):
        m = {k: des.deserialize(v) for k, v in raw.items()}
        score, spend = m.get("engagement_score"), m.get("total_spend")
        tally.update(["total", f"status_{m['status']}", f"tier_{m['tier']}",
                      "engagement_none" if score is None else
                      "engagement_" + _band(score, [(70, "hot"), (40, "warm"), (20, "cool"), (0, "cold")]),
                      "spend_none" if spend is None else
                      "spend_" + _band(spend, [(5000, "vip"), (1000, "high"), (250, "medium"), (1, "low"), (0, "zero")]),
                      f"joined_{datetime.fromtimestamp(int(m['created_at']) / 1000, UTC):%Y-%m}"])
        if m.get("acquisition_channel"):
            tally[f"channel_{m['acquisition_channel']}"] += 1
        if m.get("last_active") is not None:
            tally[f"active_{datetime.fromtimestamp(int(m['last_active']) / 1000, UTC):%Y-%m-%d}"] += 1
        tally["sum:spend_micros"] += int(Decimal(spend or 0) * 1_000_000)
        tally["sum:engagement_centi"] += round(float(score) * 100) if score is not None else 0
        tally["n:scored"] += score is not None
        tally["n:referred"] += bool(m.get("referred_by"))
    return Tally({k: v for k, v in tally.items() if v})


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=15), seed=st.integers(0, 10_000))
def test_member_counters_equal_a_recount_whatever_the_delivery(ops, seed):
    _apply(ops)
    records = [r for r in _records() if r["dynamodb"].get("NewImage", r["dynamodb"].get("OldImage", {}))
               .get("entity", {}).get("S") == "MEMBER"]
    rng = random.Random(seed)
    delivery = records + rng.sample(records, k=len(records) // 2)  # every record, some twice
    rng.shuffle(delivery)  # and out of order
    for record in delivery:
        assert projections.process_batch([record]) == {"batchItemFailures": []}
    counted = {k: v for k, v in projections.read_counter(STATS, shards=16).items() if v}  # 16: as declared
    assert counted == dict(_tally())  # hypothesis's examples share the table: earlier members count too
    found = recount.recount(TENANT, dry_run=True)
    assert found.differences == [] and found.behind == 0 and found.items >= len({r["dynamodb"]["Keys"]["PK"]["S"]
                                                                                  for r in records})
