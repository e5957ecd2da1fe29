"""An email's attachments, and an email body too large for its item, as objects in AttachmentBucket.

An SQS message holds 256 KB and a DynamoDB item 400 KB, so neither ever carries a file: createCommunication
writes each attachment's decoded bytes to S3 before the item, and the item keeps references only,
`{filename, type, disposition, content_id, size, key, sha256}`; the send queue's message names the
communication as always. An email whose text and html together pass INLINE_BODY_BYTES (room left in the
item for its status history) has both stored as one JSON object, `content_ref` on the item, and `content`
holds the text's first PREVIEW_CHARS characters: what is sent is always the whole body.

This module is the one place that knows the keys: `attachments/<tenant>/<communication>/<n>` for attachment
n, `attachments/<tenant>/<communication>/body` for a stored body. The bucket expires objects after
RETENTION_DAYS (template.yaml's lifecycle rule), long after the last retry could read them.

Limits, and why: at most MAX_ATTACHMENTS a message, MAX_TOTAL_BYTES decoded in all. SendGrid takes up to
30 MB a message, but the request reaches Lambda as a synchronous invocation of at most 6 MB, in which base64
costs a third: 4 MB decoded is what fits with the JSON around it (html included).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from shared.core import aws, settings

MAX_ATTACHMENTS = 10
MAX_TOTAL_BYTES = 4 * 1024 * 1024  # decoded, all of a message's attachments together
INLINE_BODY_BYTES = 300_000  # text + html (UTF-8) kept on the item; past it, the body goes to S3
PREVIEW_CHARS = 1_000  # of a stored body's text, kept as the item's readable `content`
RETENTION_DAYS = 30  # = template.yaml's ExpireAttachments
BODY_TYPE = "application/json"
# A missing object: NoSuchKey with s3:ListBucket on the bucket, AccessDenied without it (the sender has
# s3:GetObject on the objects only, so on AWS a missing key answers AccessDenied).
MISSING = frozenset({"NoSuchKey", "AccessDenied"})


class Missing(Exception):
    """A referenced object is not in the bucket, or not what was stored (its sha256 differs)."""


@dataclass(frozen=True)
class Upload:
    """One object to write before the item: its key, bytes and content type."""

    key: str
    data: bytes
    type: str


def key(client_id: str, comm_id: str, name: str) -> str:
    return f"attachments/{client_id}/{comm_id}/{name}"


def _ref(upload: Upload, **fields: Any) -> dict[str, Any]:
    return {**fields, "type": upload.type, "size": len(upload.data), "key": upload.key,
            "sha256": hashlib.sha256(upload.data).hexdigest()}


def plan(client_id: str, comm_id: str, files: list[tuple[dict[str, Any], bytes]], text: str,
         html: str | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None, list[Upload]]:
    """The references the item keeps (its attachments, its content_ref or None) and the objects to write.

    `files` are (the attachment's fields but its content, its decoded bytes), in the request's order."""
    uploads: list[Upload] = []
    refs: list[dict[str, Any]] = []
    for n, (fields, data) in enumerate(files):
        uploads.append(Upload(key(client_id, comm_id, str(n)), data, fields["type"]))
        refs.append(_ref(uploads[-1], filename=fields["filename"], disposition=fields.get("disposition"),
                         content_id=fields.get("content_id")))
    content_ref = None
    if len(text.encode()) + len((html or "").encode()) > INLINE_BODY_BYTES:
        body = json.dumps({"text": text, "html": html}, ensure_ascii=False).encode()
        uploads.append(Upload(key(client_id, comm_id, "body"), body, BODY_TYPE))
        content_ref = _ref(uploads[-1])
    return refs, content_ref, uploads


def put_all(uploads: list[Upload]) -> None:
    """Write the objects (the bucket encrypts them). Raises Unavailable when S3 does not take one: the
    caller then writes no item (an object written before the failure expires with the bucket's rule)."""
    if not uploads:
        return
    from botocore.exceptions import BotoCoreError, ClientError

    from shared.core.log import logger
    from shared.errors import Unavailable

    s3, bucket = aws.client("s3"), settings.ATTACHMENT_BUCKET.get()
    for upload in uploads:
        try:
            s3.put_object(Bucket=bucket, Key=upload.key, Body=upload.data, ContentType=upload.type)
        except (ClientError, BotoCoreError) as err:
            if isinstance(err, ClientError) and err.response.get("Error", {}).get("Code") in (
                    "AccessDenied", "AccessDeniedException"):
                raise  # a role without s3:PutObject: a defect, not a wait
            logger.warning("an attachment was not stored", extra={"key": upload.key, "error": str(err)})
            raise Unavailable("the attachments could not be stored, so nothing was recorded: retry",
                              headers={"retry-after": "5"}) from None


def read(ref: dict[str, Any]) -> bytes:
    """The bytes of a referenced object, checked against its sha256. Raises Missing; any other S3 failure
    (throttling, a 5xx) is raised as it came."""
    from botocore.exceptions import ClientError

    try:
        data = aws.client("s3").get_object(Bucket=settings.ATTACHMENT_BUCKET.get(), Key=ref["key"])["Body"].read()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in MISSING:
            raise Missing(f"{ref.get('filename') or 'the body'} is not in the attachment bucket") from None
        raise
    if hashlib.sha256(data).hexdigest() != ref["sha256"]:
        raise Missing(f"{ref.get('filename') or 'the body'} in the attachment bucket is not the one stored")
    return data


def body(content_ref: dict[str, Any]) -> tuple[str, str | None]:
    """A stored body's text and html."""
    stored = json.loads(read(content_ref))
    return str(stored["text"]), stored.get("html")

