"""The sample events in events/: one per function, shaped as its event source delivers it.

Each file is its function's sample, declared where it is kept: the request it carries (an API call's
path, query, body and caller; a queue message's body; a schedule's Input) is read back from the file,
and `echelonx events` rewrites around it the envelope that the function's kind of source delivers.
A function that has no file yet gets one from its declaration (the route's parameters as an unknown
id, an empty body), to be completed by hand. So a new function edits no list here, and a new kind of
function fails `echelonx events` until `KINDS` knows how its source calls it.

Placeholders `${USER_ID}`, `${CLIENT_ID}`, `${ACCESS_TOKEN}`, `${OTHER_USER_ID}`, `${OTHER_CLIENT_ID}`,
`${RUN}` are filled by whoever replays them (tests, bench).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.local.functions import ROOT, FunctionModule, discover

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

ADMIN = {"user_id": "${USER_ID}", "role": "admin", "client_id": "${CLIENT_ID}", "permissions": "",
         "session_id": "01JDEMO0000000000000000000"}
SUPER = {"user_id": "${USER_ID}", "role": "super_admin", "client_id": "", "permissions": "",
         "session_id": "01JDEMO0000000000000000000"}
UNKNOWN_ID = "01JDEM00000000000000000000"  # well-formed, names nothing
ACCOUNT, REGION = "123456789012", "us-east-1"
STACK = "echelonx"
# What every sample API request carries; anything else in a file's headers is part of its request.
BASE_HEADERS = {"accept": "application/json", "content-type": "application/json", "host": "api.echelonx.example",
                "user-agent": "curl/8.5.0", "x-forwarded-for": "203.0.113.7"}


def api_event(route: str, path_params: dict, query: dict, body, auth: dict | None, headers: dict | None = None) -> dict:
    """An HTTP API (payload format 2.0) request as API Gateway hands it to the function."""
    method, template = route.split(" ", 1)
    path = template
    for name, value in path_params.items():
        path = path.replace("{" + name + "}", value)
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": route, "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in query.items()), "headers": {**BASE_HEADERS, **(headers or {})},
        "requestContext": {
            "accountId": ACCOUNT, "apiId": "a1b2c3d4e5", "domainName": "api.echelonx.example",
            "domainPrefix": "api", "requestId": "JKJaXmPLvHcESHA=", "routeKey": route, "stage": "$default",
            "time": "25/Nov/2026:13:00:00 +0000", "timeEpoch": 1795611600000,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7",
                     "userAgent": "curl/8.5.0"}},
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if body is not None:
        event["body"] = json.dumps(body)
    if auth:
        event["requestContext"]["authorizer"] = {"lambda": auth}
    return event


def authorizer_event() -> dict:
    event = api_event("GET /users/{id}", {"id": "${USER_ID}"}, {}, None, None,
                      {"authorization": "Bearer ${ACCESS_TOKEN}"})
    event.update({"type": "REQUEST", "identitySource": ["Bearer ${ACCESS_TOKEN}"],
                  "routeArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:a1b2c3d4e5/$default/GET/users/{{id}}"})
    return event


# The stream sample's item, for a stream function without a file yet: a user, which the projections count.
SAMPLE_IMAGE = {"PK": {"S": "T#${CLIENT_ID}#USER#${USER_ID}"}, "SK": {"S": "USER"}, "entity": {"S": "USER"},
                "id": {"S": "${USER_ID}"}, "client_id": {"S": "${CLIENT_ID}"},
                "email": {"S": "admin@demo.echelonx.local"}, "role": {"S": "admin"}, "status": {"S": "active"},
                "version": {"N": "1"}, "created_at": {"N": "1795611600000"}, "updated_at": {"N": "1795611600000"}}


def stream_event(image: dict) -> dict:
    """One INSERT record of the table's stream (NEW_AND_OLD_IMAGES) with `image` (DynamoDB JSON) as new image."""
    return {"Records": [{
        "eventID": "c4ca4238a0b923820dcc509a6f75849b", "eventName": "INSERT", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": REGION,
        "dynamodb": {"ApproximateCreationDateTime": 1795611600, "Keys": {"PK": image["PK"], "SK": image["SK"]},
                     "NewImage": image, "SequenceNumber": "000000000000000000001", "SizeBytes": 420,
                     "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{STACK}/stream/2026-11-25T00:00:00.000"}]}


def queue_event(body: dict, queue: str) -> dict:
    return {"Records": [{
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d", "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": json.dumps(body), "attributes": {
            "ApproximateReceiveCount": "1", "SentTimestamp": "1795611600000", "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1795611600050"},
        "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3", "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-{queue}", "awsRegion": REGION}]}


def schedule_event(schedule_arn: str, at: str = "2026-11-25T13:00:00Z", event_id: str | None = None) -> dict:
    """What EventBridge Scheduler delivers to a Lambda target whose schedule sets no Input: an
    EventBridge-shaped notification whose `detail` is the string "{}" (not an object)."""
    return {"version": "0", "id": event_id or "5b4ad1a3-1c3e-4f1b-9a57-0c3a0a8f2d11", "detail-type": "Scheduled Event",
            "source": "aws.scheduler", "account": ACCOUNT, "time": at, "region": REGION,
            "resources": [schedule_arn], "detail": "{}"}


def schedule_arn_of(fn: FunctionModule) -> str:
    """The ARN of the schedule `echelonx template` gives a scheduled function: SAM names a ScheduleV2
    schedule after the function's logical id and the event's name, in the stack's schedule group."""
    return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{STACK}-campaigns/{fn.logical_id}Schedule"


def is_default_schedule_event(event: dict) -> bool:
    return event.get("source") == "aws.scheduler" and event.get("detail-type") == "Scheduled Event"


@dataclass(frozen=True)
class Kind:
    """How a kind of function is called: the request a new sample starts from, the request a sample
    file holds, and the event its source delivers around that request."""

    default: Callable[[FunctionModule], Any]
    request_of: Callable[[dict], Any]
    build: Callable[[FunctionModule, Any], dict]


def _api_default(fn: FunctionModule) -> dict:
    spec = fn.spec
    params = [part[1:-1] for part in spec.route.split("/") if part.startswith("{") and part.endswith("}")]
    caller = None if spec.role is None else (SUPER if spec.role == "super_admin" else ADMIN)
    return {"path": dict.fromkeys(params, UNKNOWN_ID), "query": {}, "body": {} if spec.body is not None else None,
            "auth": caller, "headers": {}}


def _api_request(event: dict) -> dict:
    headers = {k: v for k, v in event.get("headers", {}).items() if BASE_HEADERS.get(k) != v}
    body = event.get("body")
    return {"path": event.get("pathParameters") or {}, "query": event.get("queryStringParameters") or {},
            "body": None if body is None else json.loads(body),
            "auth": (event["requestContext"].get("authorizer") or {}).get("lambda"), "headers": headers}


def _api_build(fn: FunctionModule, r: dict) -> dict:
    return api_event(f"{fn.spec.method} {fn.spec.route}", r["path"], r["query"], r["body"], r["auth"], r["headers"])


def _webhook_default(fn: FunctionModule) -> dict:
    # An empty body of the first media type it accepts, to be completed by hand (a provider's call).
    return {**_api_default(fn), "auth": None, "body": "", "headers": {"content-type": fn.spec.accepts[0]}}


def _webhook_request(event: dict) -> dict:
    import base64

    raw = event.get("body") or ""
    body = base64.b64decode(raw).decode() if event.get("isBase64Encoded") else raw
    return {**_api_request({**event, "body": None}), "body": body}


def _webhook_build(fn: FunctionModule, r: dict) -> dict:
    from shared.local.gateway import body_as_handed_over

    event = api_event(f"{fn.spec.method} {fn.spec.route}", r["path"], r["query"], None, None, r["headers"])
    if r["body"]:
        event["body"], event["isBase64Encoded"] = body_as_handed_over(r["body"].encode(),
                                                                      event["headers"].get("content-type", ""))
    return event


KINDS: dict[str, Kind] = {
    "api": Kind(_api_default, _api_request, _api_build),
    # A provider's call: its body kept as sent, base64-encoded as API Gateway hands over a form.
    "webhook": Kind(_webhook_default, _webhook_request, _webhook_build),
    "authorizer": Kind(lambda fn: None, lambda event: None, lambda fn, request: authorizer_event()),
    "queue": Kind(lambda fn: {}, lambda event: json.loads(event["Records"][0]["body"]),
                  lambda fn, body: queue_event(body, fn.spec.trigger["queue"])),
    "stream": Kind(lambda fn: SAMPLE_IMAGE, lambda event: event["Records"][0]["dynamodb"]["NewImage"],
                   lambda fn, image: stream_event(image)),
    # A schedule's request is the Input it sets; None (what `echelonx template` writes) is the default one.
    "schedule": Kind(lambda fn: None, lambda event: None if is_default_schedule_event(event) else event,
                     lambda fn, given: schedule_event(schedule_arn_of(fn)) if given is None else given),
}


def event_for(fn: FunctionModule, existing: dict | None = None) -> dict:
    """The sample event of `fn`: the request of its existing sample (else its default one) in the
    envelope of its kind."""
    kind = KINDS.get(fn.spec.kind)
    if kind is None:
        raise ValueError(f"{fn.module}: no sample event for functions of kind {fn.spec.kind!r}; add it to KINDS")
    request = kind.request_of(existing) if existing is not None else kind.default(fn)
    return kind.build(fn, request)


def sample_path(fn: FunctionModule, out: Path) -> Path:
    return out / fn.domain / f"{fn.path.stem}.json"


def write_all(root: Path = ROOT, package: str = "functions", out: Path | None = None) -> list[Path]:
    """Write the sample event of every function found under `root/package` into `out` (root/events),
    keeping the request each existing file holds; returns the files that changed."""
    out = out or root / "events"
    written = []
    for fn in discover(root, package):
        target = sample_path(fn, out)
        existing = json.loads(target.read_text()) if target.exists() else None
        text = json.dumps(event_for(fn, existing), indent=2) + "\n"
        if existing is None or target.read_text() != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written.append(target)
    return written


def replay(text: str, user_id: str, client_id: str, access_token: str) -> dict:
    """A sample event with its placeholders filled: the caller's ids and token, and fresh RUN and
    OTHER_* each time, so that a create or delete sample succeeds on every replay, not only the first."""
    from shared.ids import new_id

    names = {"USER_ID": user_id, "CLIENT_ID": client_id, "ACCESS_TOKEN": access_token, "RUN": new_id().lower()}
    if "${OTHER_USER_ID}" in text:
        names["OTHER_USER_ID"] = _other_user(client_id)
    if "${OTHER_CLIENT_ID}" in text:
        names["OTHER_CLIENT_ID"] = _other_client()
    for name, value in names.items():
        text = text.replace("${" + name + "}", value)
    return json.loads(text)


def _other_user(client_id: str) -> str:
    from shared.ids import new_id
    from shared.users import store

    user = store.User(id=new_id(), client_id=client_id, email=f"other-{new_id().lower()}@demo.echelonx.local",
                      role="user", status="active")
    return store.create(user).id


def _other_client() -> str:
    from shared.clients import store
    from shared.ids import new_id

    client = store.Client(id=new_id(), name=f"Sample Other {new_id()}", status="active",
                          subscription_tier="basic", created_by="sample-events")
    return store.create(client).id
