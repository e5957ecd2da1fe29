"""The product's table, with its stream, in moto's in-process mock_aws (tests marked `isolated`)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from moto import mock_aws

from shared.db.table import Item
from shared.local.template import load

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def projection_table(monkeypatch, name: str = "projection-test") -> Iterator[None]:
    """template.yaml's table under `name`, with every item model connected to it for the block only."""

    monkeypatch.setenv("TABLE_NAME", name)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        props = load(ROOT / "template.yaml")["Resources"]["Table"]["Properties"]
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=props["AttributeDefinitions"], KeySchema=props["KeySchema"],
            GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        models = _models(Item)
        for model in models:
            model._connection = None  # a fresh connection inside this mock
        yield
        for model in models:
            model._connection = None  # and none of it kept once the mock is gone


def _models(base: type) -> list[type]:
    """`base` and every model below it (a model's connection is per class, and its subclasses share it)."""
    return [base, *(model for sub in base.__subclasses__() for model in _models(sub))]
