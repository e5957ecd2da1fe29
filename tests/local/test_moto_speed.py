"""The embedded AWS's faster DynamoDB answers are the answers moto's own serializer gives."""

from __future__ import annotations

import json

import pytest
from moto.core.serialize import BaseJSONSerializer, XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model

from shared.local import moto_speed

EVERY_KIND = {
    "s": {"S": "text"}, "empty": {"S": ""}, "n": {"N": "12.50"}, "b": {"B": b"\x00\xffbytes"},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"x", b"y"]},
    "null": {"NULL": True}, "yes": {"BOOL": True}, "no": {"BOOL": False},
    "m": {"M": {"inner": {"S": "x"}, "deep": {"M": {"n": {"N": "1"}, "l": {"L": [{"S": "in a list"}]}}}}},
    "l": {"L": [{"N": "1"}, {"M": {"k": {"BOOL": False}}}, {"L": []}, {"NULL": True}]},
    "empty_map": {"M": {}}, "empty_list": {"L": []},
}
ANSWERS = {
    "GetItem": {"Item": EVERY_KIND, "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}},
    "Query": {"Items": [EVERY_KIND, {"PK": {"S": "2"}}], "Count": 2, "ScannedCount": 2,
              "LastEvaluatedKey": {"PK": {"S": "2"}, "SK": {"S": "x"}}},
    "UpdateItem": {"Attributes": EVERY_KIND},
    "BatchGetItem": {"Responses": {"t": [EVERY_KIND]}, "UnprocessedKeys": {}},
    "TransactGetItems": {"Responses": [{"Item": EVERY_KIND}, {}]},
    "TransactWriteItems": {},
}


def _body(operation: str, result: dict) -> dict:
    model = get_service_model("dynamodb")
    serializer = get_serializer_class("dynamodb", "json")(operation_model=model.operation_model(operation),
                                                          value_picker=XFormedAttributePicker())
    return json.loads(serializer.serialize(result)["body"])


@pytest.mark.parametrize("operation", sorted(ANSWERS))
def test_answers_equal_moto_serializer(operation, monkeypatch):
    moto_speed.install()
    fast = _body(operation, ANSWERS[operation])
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", moto_speed._walk[0])
    assert fast == _body(operation, ANSWERS[operation])
    if operation == "GetItem":  # and the answer is what a client must see
        assert fast["Item"]["b"] == {"B": "AP9ieXRlcw=="} and fast["Item"]["null"] == {"NULL": True}
        assert fast["Item"]["l"]["L"][1] == {"M": {"k": {"BOOL": False}}}


def _sets_sorted(item: dict) -> dict:
    return {k: {kind: sorted(x) if kind in ("SS", "NS", "BS") else x for kind, x in v.items()} for k, v in item.items()}


def test_an_item_of_every_kind_round_trips(local):
    """Through the embedded AWS with boto3: what is put is what GetItem and Query read back."""
    table, ddb = local.aws.names["Table"], local.aws.client("dynamodb")
    item = {"PK": {"S": "SPEED#1"}, "SK": {"S": "ITEM"}, **{k: v for k, v in EVERY_KIND.items() if k != "empty"}}
    ddb.put_item(TableName=table, Item=item)
    got = ddb.get_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]}, ConsistentRead=True)["Item"]
    queried = ddb.query(TableName=table, KeyConditionExpression="PK = :p",
                        ExpressionAttributeValues={":p": item["PK"]})["Items"]
    assert _sets_sorted(got) == _sets_sorted(queried[0]) == _sets_sorted(item)
