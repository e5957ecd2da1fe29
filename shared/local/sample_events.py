"""The sample events in events/: real-shaped API Gateway v2 (and stream) events, one per function.

`echelonx events` (re)writes them from SAMPLES. Placeholders `${USER_ID}`, `${CLIENT_ID}`,
`${ACCESS_TOKEN}`, `${OTHER_USER_ID}`, `${OTHER_CLIENT_ID}` are filled by whoever replays them (tests, bench).
"""

from __future__ import annotations

import json
from pathlib import Path

from shared.local.functions import ROOT, discover

ADMIN = {"user_id": "${USER_ID}", "role": "admin", "client_id": "${CLIENT_ID}", "permissions": "",
         "session_id": "01JDEMO0000000000000000000"}
SUPER = {"user_id": "${USER_ID}", "role": "super_admin", "client_id": "", "permissions": "",
         "session_id": "01JDEMO0000000000000000000"}
UNKNOWN_ID = "01JDEMO0000000000000000000"

# operation → (path parameters, query, body, authorizer context); the route comes from the decorator.
SAMPLES: dict[str, tuple[dict, dict, dict | None, dict | None]] = {
    "login": ({}, {}, {"email": "admin@demo.echelonx.local", "password": "demo-staff-password"}, None),
    "refreshToken": ({}, {}, {"refresh_token": "P.01JDEMO0000000000000000000.not-a-live-secret"}, None),
    "logout": ({}, {}, {"refresh_token": "P.01JDEMO0000000000000000000.not-a-live-secret"}, None),
    "requestPasswordReset": ({}, {}, {"email": "nobody@demo.echelonx.local"}, None),
    "confirmPasswordReset": ({}, {}, {"token": "P.01JDEMO0000000000000000000.expired-secret",
                                      "new_password": "a-brand-new-password"}, None),
    "verifyEmail": ({}, {}, {"token": "P.01JDEMO0000000000000000000.expired-secret"}, None),
    "getUserById": ({"id": "${USER_ID}"}, {}, None, ADMIN),
    "getUsers": ({}, {"limit": "10", "status": "active"}, None, ADMIN),
    "getUsersByRole": ({"role": "admin"}, {"limit": "10"}, None, ADMIN),
    "getUserByEmail": ({}, {"email": "admin@demo.echelonx.local"}, None, ADMIN),
    "createUser": ({}, {}, {"email": "new.hire.${RUN}@demo.echelonx.local", "role": "user", "first_name": "Nia",
                            "last_name": "Okafor", "phone": "(415) 555-2671", "password": "a-strong-password"}, ADMIN),
    "updateUser": ({"id": "${USER_ID}"}, {}, {"timezone": "Europe/Paris", "language": "fr"}, ADMIN),
    "deleteUser": ({"id": "${OTHER_USER_ID}"}, {}, None, ADMIN),
    "getUserStats": ({}, {}, None, ADMIN),
    "searchUsers": ({}, {"q": "adm"}, None, ADMIN),
    "bulkUpdateUsers": ({}, {}, {"updates": [{"id": "${USER_ID}", "changes": {"language": "en"}}]}, ADMIN),
    "getUserActivity": ({"id": "${USER_ID}"}, {"limit": "20"}, None, ADMIN),
    "getUserPermissions": ({"id": "${USER_ID}"}, {}, None, ADMIN),
    "enableTwoFactor": ({"id": "${OTHER_USER_ID}"}, {}, None, ADMIN),
    "confirmTwoFactor": ({"id": "${USER_ID}"}, {}, {"code": "123456"}, ADMIN),
    # clients (${OTHER_CLIENT_ID}: a throwaway basic-tier client made by whoever replays the event)
    "getClients": ({}, {"limit": "10"}, None, ADMIN),
    "getClientById": ({"id": "${CLIENT_ID}"}, {}, None, ADMIN),
    "createClient": ({}, {}, {"name": "Harbor Yoga ${RUN}", "email": "hello@harbor-yoga.example",
                              "company_size": "1-10", "subscription_tier": "basic", "phone": "(415) 555-2671",
                              "monthly_spend_limit": 250.5, "tags": ["wellness"]}, SUPER),
    "updateClient": ({"id": "${CLIENT_ID}"}, {}, {"website": "https://demo.echelonx.example", "industry": "fitness"},
                     ADMIN),
    "deleteClient": ({"id": "${OTHER_CLIENT_ID}"}, {}, None, SUPER),
    "getClientStats": ({}, {}, None, SUPER),
    "getClientsByTier": ({"tier": "premium"}, {"limit": "10"}, None, SUPER),
    "searchClients": ({}, {"q": "demo"}, None, SUPER),
    "getClientRevenue": ({"id": "${CLIENT_ID}"}, {"months": "6"}, None, ADMIN),
    "getClientUsage": ({"id": "${CLIENT_ID}"}, {}, None, ADMIN),
    "bulkUpdateClients": ({}, {}, {"updates": [{"id": "${CLIENT_ID}", "changes": {"industry": "fitness"}}]}, ADMIN),
    "getClientActivity": ({"id": "${CLIENT_ID}"}, {"limit": "20"}, None, ADMIN),
    "getExpiringContracts": ({}, {"days": "30"}, None, SUPER),
    "upgradeClientTier": ({"id": "${OTHER_CLIENT_ID}"}, {}, {"tier": "enterprise"}, SUPER),
    "exportClientData": ({"id": "${CLIENT_ID}"}, {}, None, ADMIN),
    "getExportJob": ({"id": "${CLIENT_ID}", "job_id": UNKNOWN_ID}, {}, None, ADMIN),
}

# queue consumer → the message body it receives.
QUEUE_SAMPLES: dict[str, dict] = {
    "runExport": {"client_id": "${CLIENT_ID}", "job_id": UNKNOWN_ID},
}


def api_event(route: str, path_params: dict, query: dict, body, auth: dict | None, headers: dict | None = None) -> dict:
    method, template = route.split(" ", 1)
    path = template
    for name, value in path_params.items():
        path = path.replace("{" + name + "}", value)
    h = {"accept": "application/json", "content-type": "application/json", "host": "api.echelonx.example",
         "user-agent": "curl/8.5.0", "x-forwarded-for": "203.0.113.7", **(headers or {})}
    event = {
        "version": "2.0", "routeKey": route, "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in query.items()), "headers": h,
        "requestContext": {
            "accountId": "123456789012", "apiId": "a1b2c3d4e5", "domainName": "api.echelonx.example",
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
                  "routeArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default/GET/users/{id}"})
    return event


def stream_event() -> dict:
    image = {"PK": {"S": "T#${CLIENT_ID}#USER#${USER_ID}"}, "SK": {"S": "USER"}, "entity": {"S": "USER"},
             "id": {"S": "${USER_ID}"}, "client_id": {"S": "${CLIENT_ID}"}, "email": {"S": "admin@demo.echelonx.local"},
             "role": {"S": "admin"}, "status": {"S": "active"}, "version": {"N": "1"},
             "created_at": {"N": "1795611600000"}, "updated_at": {"N": "1795611600000"}}
    return {"Records": [{
        "eventID": "c4ca4238a0b923820dcc509a6f75849b", "eventName": "INSERT", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {"ApproximateCreationDateTime": 1795611600, "Keys": {"PK": image["PK"], "SK": image["SK"]},
                     "NewImage": image, "SequenceNumber": "000000000000000000001", "SizeBytes": 420,
                     "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/echelonx/stream/2026-11-25T00:00:00.000"}]}


def queue_event(body: dict, queue: str) -> dict:
    return {"Records": [{
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d", "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": json.dumps(body), "attributes": {
            "ApproximateReceiveCount": "1", "SentTimestamp": "1795611600000", "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1795611600050"},
        "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3", "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:echelonx-{queue}", "awsRegion": "us-east-1"}]}


def event_for(fn) -> dict:
    spec = fn.spec
    if spec.kind == "authorizer":
        return authorizer_event()
    if spec.kind == "stream":
        return stream_event()
    if spec.kind == "queue":
        return queue_event(QUEUE_SAMPLES[spec.name], spec.trigger["queue"])
    path_params, query, body, auth = SAMPLES[spec.name]
    return api_event(f"{spec.method} {spec.route}", path_params, query, body, auth)


def write_all(root: Path = ROOT) -> list[Path]:
    written = []
    for fn in discover(root):
        target = root / "events" / fn.domain / f"{fn.path.stem}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(event_for(fn), indent=2) + "\n"
        if not target.exists() or target.read_text() != text:
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
