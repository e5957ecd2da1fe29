"""Every function invoked with its sample event from events/: the answer's status and shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.local.functions import discover

ROOT = Path(__file__).resolve().parents[2]

# operation → (expected status, keys the JSON body must have). Written from the API contract.
EXPECTED = {
    "login": (200, {"access_token", "refresh_token", "expires_in", "user"}),
    "refreshToken": (401, {"type", "title", "status", "detail"}),  # the sample token is not a live one
    "logout": (204, set()),
    "getUserById": (200, {"id", "email", "role", "status", "version"}),
}


def _fill(text: str, values: dict) -> dict:
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return json.loads(text)


@pytest.fixture(scope="module")
def values(login):
    pair = login("admin")
    return {"USER_ID": pair["user"]["id"], "CLIENT_ID": pair["user"]["client_id"], "ACCESS_TOKEN": pair["access_token"]}


@pytest.fixture(scope="module")
def login(api, local):
    def do(role):
        creds = local.logins[role]
        return api.post("/auth/login", json={"email": creds["email"], "password": creds["password"]}).json()
    return do


@pytest.mark.parametrize("fn", discover(ROOT), ids=lambda f: f.spec.name)
def test_sample_event(fn, local, values):
    event = _fill((ROOT / "events" / fn.domain / f"{fn.path.stem}.json").read_text(), values)
    answer = local.functions[fn.logical_id].invoke(event)
    if fn.spec.kind == "authorizer":
        assert answer["isAuthorized"] is True and answer["context"]["user_id"] == values["USER_ID"]
        return
    status, keys = EXPECTED[fn.spec.name]
    assert answer["statusCode"] == status, answer
    if keys:
        body = json.loads(answer["body"])
        assert keys <= set(body), body
        expected_type = "application/problem+json" if status >= 400 else "application/json"
        assert answer["headers"]["content-type"] == expected_type
