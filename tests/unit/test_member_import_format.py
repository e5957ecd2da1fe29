"""The import file format: records read with their byte checkpoints (a resumed read yields the rest,
exactly), cells converted, headers refused by name, and the queue policy S3 needs to deliver."""

from __future__ import annotations

import pytest

from shared.local import s3_notifications
from shared.members import imports
from shared.members.import_worker import FileRefused, records

FILE = ('\ufeffmember_id,notes,tags\r\n'
        'A-1,"two\r\nlines, and a comma",vip|gold\r\n'
        '\r\n'
        'A-2,"a ""quoted"" word",\r\n'
        'A-3,ünïcode,x').encode()


def _split(data: bytes, size: int):
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_records_carry_their_line_and_where_the_next_begins(size):
    found = list(records(_split(FILE, size)))
    assert [r.line for r in found] == [1, 2, 5, 6]
    assert found[0].values == ["member_id", "notes", "tags"]  # the byte-order mark is skipped
    assert found[1].values == ["A-1", "two\r\nlines, and a comma", "vip|gold"]
    assert found[2].values == ["A-2", 'a "quoted" word', ""]
    assert found[3].end_bytes == len(FILE) and found[3].end_lines == 6
    # Resuming at any record's checkpoint yields exactly the records after it.
    for i, record in enumerate(found[:-1]):
        rest = list(records(_split(FILE[record.end_bytes:], size), record.end_bytes, record.end_lines))
        assert [(r.line, r.values, r.end_bytes) for r in rest] == [(r.line, r.values, r.end_bytes)
                                                                   for r in found[i + 1:]]


def test_a_file_that_is_not_utf8_is_refused_naming_the_line():
    with pytest.raises(FileRefused, match="line 2 is not UTF-8"):
        list(records([b"member_id\nM\xe9-1\n"]))


def test_cells_follow_the_documented_format():
    header = ["member_id", "tags", "preferences", "date_of_birth", "last_active", "email"]
    given, errors = imports.cells(header, ["M-1", " vip | gold |", '{"sms": true}', "1990-05-17",
                                           "1700000000000", ""])
    assert errors == []
    assert given == {"member_id": "M-1", "tags": ["vip", "gold"], "preferences": {"sms": True},
                     "date_of_birth": 642902400000, "last_active": 1700000000000}
    _, errors = imports.cells(header, ["M-1", "", "{nope", "17/05/1990", "", ""])
    assert [c for c, _ in errors] == ["preferences", "date_of_birth"]
    _, errors = imports.cells(header, ["M-1"])
    assert errors == [("", "1 cells where the header has 6")]


def test_unknown_and_repeated_columns_are_refused_by_name():
    assert "emial, shoe_size" in imports.check_header(["member_id", "emial", "shoe_size"])
    assert imports.check_header(["member_id", "email", "email"]) == "repeated columns: email"
    assert imports.check_header(["email"]) == "the member_id column is required"
    assert imports.check_header(["member_id", "email", "tags", "preferences"]) is None


QUEUE = "arn:aws:sqs:us-east-1:123456789012:imports"
BUCKET = "arn:aws:s3:::stack-imports"


def _policy(**condition):
    return {"Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                           "Action": "sqs:SendMessage", "Resource": QUEUE, **({"Condition": condition} if condition
                                                                               else {})}]}


def test_s3_delivers_only_where_the_queue_policy_lets_it():
    conditioned = _policy(ArnEquals={"aws:SourceArn": BUCKET}, StringEquals={"aws:SourceAccount": "123456789012"})
    assert s3_notifications.allows(conditioned, QUEUE, BUCKET, "123456789012")
    assert not s3_notifications.allows(conditioned, QUEUE, "arn:aws:s3:::another-bucket", "123456789012")
    assert not s3_notifications.allows(conditioned, QUEUE, BUCKET, "999999999999")
    assert not s3_notifications.allows(None, QUEUE, BUCKET, "123456789012")  # no policy: S3 may not send
    assert not s3_notifications.allows(_policy(NumericLessThan={"aws:SourceArn": "1"}), QUEUE, BUCKET, "123456789012")
    lambda_only = _policy()
    lambda_only["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}
    assert not s3_notifications.allows(lambda_only, QUEUE, BUCKET, "123456789012")
    denied = _policy()
    denied["Statement"].append({**denied["Statement"][0], "Effect": "Deny"})
    assert not s3_notifications.allows(denied, QUEUE, BUCKET, "123456789012")


def test_the_example_file_in_the_readme_imports_cleanly():
    from pathlib import Path

    from shared.members.models.changes import MemberCreate

    data = (Path(__file__).resolve().parents[2] / "examples" / "members.csv").read_bytes()
    header, *rows = records([data])
    assert imports.check_header(header.values) is None and len(rows) == 3
    for row in rows:
        given, errors = imports.cells(header.values, row.values)
        assert errors == [], (row.line, errors)
        MemberCreate.model_validate(given)
    assert rows[2].values[-1] == "Two lines:\r\nmet at the 2024 launch"
