"""`--data FILE`: keep the table's items and the JWT keys between runs (moto keeps nothing)."""

from __future__ import annotations

import json
from pathlib import Path


def save(path: Path, aws, table_logical: str = "Table") -> int:
    ddb, name = aws.client("dynamodb"), aws.names[table_logical]
    items, kwargs = [], {"TableName": name}
    while True:
        page = ddb.scan(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    secret = json.loads(aws.client("secretsmanager").get_secret_value(SecretId=aws.names["JwtSigningKey"])["SecretString"])
    public = json.loads(aws.client("ssm").get_parameter(Name=aws.names["JwtPublicKeys"])["Parameter"]["Value"])
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps({"items": items, "jwt": [secret, public]}))
    tmp.replace(path)  # never a half-written file
    return len(items)


def load(path: Path, aws, table_logical: str = "Table") -> dict | None:
    if not path or not Path(path).exists():
        return None
    data = json.loads(Path(path).read_text())
    ddb, name = aws.client("dynamodb"), aws.names[table_logical]
    items = data.get("items", [])
    for i in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]})
    jwt = data.get("jwt")
    return {"jwt": tuple(jwt) if jwt else None, "items": len(items)}
