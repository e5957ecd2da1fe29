"""What IAM checks for an API call: the actions and resource ARNs a request needs, as AWS authorises it.

Written for the calls this project makes (its stores, transactions, exports, envelope encryption,
secrets, parameters, schedules, and the pollers acting for a function). A call not listed here raises
`Unmapped`: a new kind of call must be mapped before it can pass, never allowed by default.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from shared.local.aws import ACCOUNT

if TYPE_CHECKING:
    from collections.abc import Callable

Needs = list[tuple[str, str]]  # (IAM action, resource ARN), every one of which must be allowed


class Unmapped(Exception):
    """An AWS call the local IAM does not know how to authorise."""

    def __init__(self, service: str, operation: str):
        super().__init__(f"no IAM mapping for {service}.{operation}: add it to shared/local/iam/actions.py "
                         "(the action(s) and resource ARN(s) AWS checks for it)")


class Context:
    """Where a call goes (its client's region) and how to name what it only refers to."""

    def __init__(self, region: str, secret_arn: Callable[[str], str]):
        self.region = region
        self.secret_arn = secret_arn  # a secret's ARN from its name (AWS authorises the ARN)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT}:{resource}"


def needs(service: str, operation: str, params: dict, ctx: Context) -> Needs:
    """The (action, resource) pairs AWS checks for `operation` of `service` with these parameters."""
    mapper = _MAPPERS.get(service, {}).get(operation)
    if mapper is None:
        raise Unmapped(service, operation)
    return mapper(params, ctx)


# --- DynamoDB ---------------------------------------------------------------------------------------

def _table(name: str, ctx: Context) -> str:
    return name if name.startswith("arn:") else ctx.arn("dynamodb", f"table/{name}")


def _on_table(action: str):
    return lambda p, ctx: [(f"dynamodb:{action}", _table(p["TableName"], ctx))]


def _on_table_or_index(action: str):
    def mapper(p, ctx):
        arn = _table(p["TableName"], ctx)
        return [(f"dynamodb:{action}", arn + f"/index/{p['IndexName']}" if p.get("IndexName") else arn)]
    return mapper


# A transaction has no action of its own: each item is authorised by the action it performs.
_TRANSACT_WRITE = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
                   "ConditionCheck": "dynamodb:ConditionCheckItem"}


def _transact_write(p, ctx) -> Needs:
    out = []
    for item in p["TransactItems"]:
        (kind, body), = item.items()
        out.append((_TRANSACT_WRITE[kind], _table(body["TableName"], ctx)))
    return out


def _transact_get(p, ctx) -> Needs:
    return [("dynamodb:GetItem", _table(item["Get"]["TableName"], ctx)) for item in p["TransactItems"]]


def _per_table(action: str):
    # Batch calls are actions of their own, checked on every table they name.
    return lambda p, ctx: [(f"dynamodb:{action}", _table(name, ctx)) for name in p["RequestItems"]]


def _on_stream(action: str):
    return lambda p, ctx: [(f"dynamodb:{action}", p["StreamArn"])]


def _get_records(p, ctx) -> Needs:
    # A shard iterator is `<stream ARN>|1|<opaque>` (on AWS as in moto): the record read is the stream's.
    return [("dynamodb:GetRecords", p["ShardIterator"].split("|", 1)[0])]


_DYNAMODB = {
    **{op: _on_table(op) for op in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable",
                                    "DescribeTimeToLive")},
    "Query": _on_table_or_index("Query"),
    "Scan": _on_table_or_index("Scan"),
    "BatchGetItem": _per_table("BatchGetItem"),
    "BatchWriteItem": _per_table("BatchWriteItem"),
    "TransactWriteItems": _transact_write,
    "TransactGetItems": _transact_get,
}
_STREAMS = {
    "DescribeStream": _on_stream("DescribeStream"),
    "GetShardIterator": _on_stream("GetShardIterator"),
    "GetRecords": _get_records,
    "ListStreams": lambda p, ctx: [("dynamodb:ListStreams", _table(p["TableName"], ctx) + "/stream/*"
                                    if p.get("TableName") else "*")],
}


# --- SQS ----------------------------------------------------------------------------------------------

def _queue(url: str, ctx: Context) -> str:
    # https://sqs.<region>.amazonaws.com/<account>/<name> (locally the embedded AWS's host)
    account, name = urlparse(url).path.strip("/").split("/")[-2:]
    return f"arn:aws:sqs:{ctx.region}:{account}:{name}"


def _on_queue(action: str):
    return lambda p, ctx: [(f"sqs:{action}", _queue(p["QueueUrl"], ctx))]


_SQS = {
    **{op: _on_queue(op) for op in ("SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
                                    "GetQueueAttributes", "SetQueueAttributes", "PurgeQueue")},
    # A batch is authorised as the single call it batches.
    "SendMessageBatch": _on_queue("SendMessage"),
    "DeleteMessageBatch": _on_queue("DeleteMessage"),
    "ChangeMessageVisibilityBatch": _on_queue("ChangeMessageVisibility"),
    "GetQueueUrl": lambda p, ctx: [("sqs:GetQueueUrl", f"arn:aws:sqs:{ctx.region}:"
                                    f"{p.get('QueueOwnerAWSAccountId') or ACCOUNT}:{p['QueueName']}")],
    "ListQueues": lambda p, ctx: [("sqs:ListQueues", "*")],
}


# --- S3 ------------------------------------------------------------------------------------------------

def _object(action: str):
    return lambda p, ctx: [(f"s3:{action}", f"arn:aws:s3:::{p['Bucket']}/{p['Key']}")]


def _bucket(action: str):
    return lambda p, ctx: [(f"s3:{action}", f"arn:aws:s3:::{p['Bucket']}")]


def _copy(p, ctx) -> Needs:
    source = p["CopySource"]
    if isinstance(source, dict):
        source = f"{source['Bucket']}/{source['Key']}"
    return [("s3:GetObject", "arn:aws:s3:::" + unquote(source.split("?", 1)[0].lstrip("/"))),
            ("s3:PutObject", f"arn:aws:s3:::{p['Bucket']}/{p['Key']}")]


_S3 = {
    "PutObject": _object("PutObject"),
    "GetObject": _object("GetObject"),
    "HeadObject": _object("GetObject"),
    "DeleteObject": _object("DeleteObject"),
    # A multipart upload is authorised as the PutObject it makes, part by part.
    "CreateMultipartUpload": _object("PutObject"),
    "UploadPart": _object("PutObject"),
    "CompleteMultipartUpload": _object("PutObject"),
    "AbortMultipartUpload": _object("AbortMultipartUpload"),
    "ListParts": _object("ListMultipartUploadParts"),
    "CopyObject": _copy,
    "ListObjectsV2": _bucket("ListBucket"),
    "ListObjects": _bucket("ListBucket"),
    "HeadBucket": _bucket("ListBucket"),
    "ListMultipartUploads": _bucket("ListBucketMultipartUploads"),
}


# --- KMS -----------------------------------------------------------------------------------------------

def _key(key_id: str, ctx: Context) -> str:
    if key_id.startswith("arn:") and ":key/" in key_id:
        return key_id
    if key_id.startswith(("alias/", "arn:")):
        # AWS authorises the key an alias points to; this project names keys by id.
        raise ValueError(f"KMS key {key_id!r}: aliases are not resolved by the local IAM; use the key id")
    return ctx.arn("kms", f"key/{key_id}")


def _on_key(action: str):
    return lambda p, ctx: [(f"kms:{action}", _key(p["KeyId"], ctx))]


def _decrypt(p, ctx) -> Needs:
    if p.get("KeyId"):
        return [("kms:Decrypt", _key(p["KeyId"], ctx))]
    # Without KeyId, KMS decrypts with (and authorises) the key that encrypted the blob, which the
    # ciphertext names. The blob is the embedded AWS's (moto's) format.
    from moto.kms.utils import _deserialize_ciphertext_blob

    blob = p["CiphertextBlob"]
    if isinstance(blob, str):
        blob = base64.b64decode(blob)
    return [("kms:Decrypt", _key(_deserialize_ciphertext_blob(blob).key_id, ctx))]


_KMS = {
    **{op: _on_key(op) for op in ("Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "DescribeKey",
                                     "GenerateMac")},
    "Decrypt": _decrypt,
}


# --- SSM, Secrets Manager ---------------------------------------------------------------------------------

def _parameter(name: str, ctx: Context) -> str:
    # `/a/b` is `parameter/a/b`; a name without a leading slash gets one in its ARN.
    if name.startswith("arn:"):
        return name
    return ctx.arn("ssm", "parameter" + (name if name.startswith("/") else "/" + name))


_SSM = {
    "GetParameter": lambda p, ctx: [("ssm:GetParameter", _parameter(p["Name"], ctx))],
    "GetParameters": lambda p, ctx: [("ssm:GetParameters", _parameter(n, ctx)) for n in p["Names"]],
    "PutParameter": lambda p, ctx: [("ssm:PutParameter", _parameter(p["Name"], ctx))],
}


def _on_secret(action: str):
    def mapper(p, ctx):
        secret = p["SecretId"]
        return [(f"secretsmanager:{action}", secret if secret.startswith("arn:") else ctx.secret_arn(secret))]
    return mapper


_SECRETS = {op: _on_secret(op) for op in ("GetSecretValue", "DescribeSecret", "PutSecretValue")}


# --- EventBridge Scheduler ----------------------------------------------------------------------------------

def _schedule(p, ctx) -> str:
    return ctx.arn("scheduler", f"schedule/{p.get('GroupName') or 'default'}/{p['Name']}")


def _writes_schedule(action: str):
    # Handing the schedule a role to run as is passing that role: iam:PassRole on it.
    return lambda p, ctx: [(f"scheduler:{action}", _schedule(p, ctx)), ("iam:PassRole", p["Target"]["RoleArn"])]


_SCHEDULER = {
    "CreateSchedule": _writes_schedule("CreateSchedule"),
    "UpdateSchedule": _writes_schedule("UpdateSchedule"),
    "GetSchedule": lambda p, ctx: [("scheduler:GetSchedule", _schedule(p, ctx))],
    "DeleteSchedule": lambda p, ctx: [("scheduler:DeleteSchedule", _schedule(p, ctx))],
    "ListSchedules": lambda p, ctx: [("scheduler:ListSchedules", "*")],
}

_MAPPERS: dict[str, dict[str, Callable[[dict, Context], Needs]]] = {
    "dynamodb": _DYNAMODB, "dynamodbstreams": _STREAMS, "sqs": _SQS, "s3": _S3, "kms": _KMS, "ssm": _SSM,
    "secretsmanager": _SECRETS, "scheduler": _SCHEDULER,
}
