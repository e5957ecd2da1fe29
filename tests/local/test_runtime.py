"""The runtime in-process: stopping it closes what clients hold open, and moto keeps no copy of
what it answered (which made a long-running `echelonx dev` grow with every request)."""

from __future__ import annotations

import gc
import socket
import time
import weakref

from shared.local import moto_tracking
from shared.local.aws import EmbeddedAws
from shared.local.runtime import Runtime


def _answer(conn: socket.socket) -> bytes:
    """One request on a keep-alive connection, its whole answer read (head and body)."""
    conn.sendall(b"GET /_local/state HTTP/1.1\r\nHost: local\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got:
        got += conn.recv(4096)
    head, body = got.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += conn.recv(4096)
    return head


def test_stopping_closes_keep_alive_connections_at_once():
    runtime = Runtime(fakes=False, pollers=False, aws=EmbeddedAws(stack="stop-keep-alive")).start()
    conn = socket.create_connection(("127.0.0.1", runtime.port))
    try:
        assert _answer(conn).startswith(b"HTTP/1.1 200")  # answered, and the connection stays open
        started = time.monotonic()
        runtime.stop()
        took = time.monotonic() - started
        conn.settimeout(5)
        assert conn.recv(1) == b"", "the gateway left a keep-alive connection open after stopping"
    finally:
        conn.close()
    assert took <= 3.0, f"stop took {took:.1f} s"
    refused = socket.socket()
    assert refused.connect_ex(("127.0.0.1", runtime.port)) != 0  # the port is free again
    refused.close()


def test_moto_frees_the_items_it_made_to_answer_reads(local):
    from moto.dynamodb.models.dynamo_type import Item

    ddb, table = local.aws.client("dynamodb"), local.aws.names["Table"]
    key = {"PK": {"S": "P#TRACKING-TEST"}, "SK": {"S": "ITEM"}}
    ddb.put_item(TableName=table, Item={**key, "entity": {"S": "TEST"}})
    for _ in range(200):  # moto copies the items a Query returns, every time
        assert ddb.get_item(TableName=table, Key=key)["Item"]["entity"] == {"S": "TEST"}
        assert ddb.query(TableName=table, KeyConditionExpression="PK = :pk",
                         ExpressionAttributeValues={":pk": key["PK"]})["Count"] == 1
    gc.collect()
    # This item's copies only: the pollers write items of their own meanwhile.
    copies = sum(1 for item in Item.instances_tracked if item.hash_key.value == key["PK"]["S"])
    assert 1 <= copies < 5, f"{copies} copies of one item alive after 200 reads of it"


def test_moto_still_lists_the_instances_alive():
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    moto_tracking.install()
    alive = Item(DynamoType({"S": "kept"}), None, {"PK": {"S": "kept"}})
    gone = weakref.ref(Item(DynamoType({"S": "dropped"}), None, {"PK": {"S": "dropped"}}))
    gc.collect()
    assert gone() is None
    assert any(instance is alive for instance in Item.instances_tracked)  # moto's dashboard and S3 reset see it
