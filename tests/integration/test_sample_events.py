"""Every function invoked with its sample event from events/: the answer's status and shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.local.functions import discover

ROOT = Path(__file__).resolve().parents[2]

# operation → (expected status, keys the JSON body must have). Written from the API contract.
PROBLEM = {"type", "title", "status", "detail"}
PAGE = {"items", "next_cursor"}
EXPECTED = {
    "login": (200, {"access_token", "refresh_token", "expires_in", "user"}),
    "refreshToken": (401, PROBLEM),  # the sample token is not a live one
    "logout": (204, set()),
    "requestPasswordReset": (202, {"status"}),
    "confirmPasswordReset": (400, PROBLEM | {"field"}),  # the sample token is not a live one
    "verifyEmail": (400, PROBLEM | {"field"}),
    "getUserById": (200, {"id", "email", "role", "status", "version"}),
    "getUsers": (200, PAGE),
    "getUsersByRole": (200, PAGE),
    "getUserByEmail": (200, {"id", "email"}),
    "createUser": (201, {"id", "email", "phone", "version"}),
    "updateUser": (200, {"id", "timezone", "language", "version"}),
    "deleteUser": (204, set()),
    "getUserStats": (200, {"total", "by_status", "by_role"}),
    "searchUsers": (200, PAGE),
    "bulkUpdateUsers": (200, {"results", "succeeded", "failed"}),
    "getUserActivity": (200, PAGE),
    "getUserPermissions": (200, {"effective", "granted_by_role", "extra"}),
    "enableTwoFactor": (403, PROBLEM),  # only for yourself: the sample asks for another user (readable: 403)
    "confirmTwoFactor": (409, PROBLEM),  # nothing pending for the sample's caller
    "getClients": (200, PAGE),
    "getClientById": (200, {"id", "name", "status", "subscription_tier", "version"}),
    "createClient": (201, {"id", "name", "phone", "monthly_spend_limit", "created_by", "version"}),
    "updateClient": (200, {"id", "website", "industry", "version"}),
    "deleteClient": (204, set()),
    "getClientStats": (200, {"total", "by_status", "by_tier", "by_company_size"}),
    "getClientsByTier": (200, PAGE),
    "searchClients": (200, PAGE),
    "getClientRevenue": (200, {"client_id", "months", "totals", "all_time"}),
    "getClientUsage": (200, {"client_id", "month", "channels", "total_messages", "total_cost", "over_limit"}),
    "bulkUpdateClients": (200, {"results", "succeeded", "failed"}),
    "getClientActivity": (200, PAGE),
    "getExpiringContracts": (200, PAGE),
    "upgradeClientTier": (200, {"id", "subscription_tier", "version"}),
    "exportClientData": (202, {"job_id", "client_id", "status", "href"}),
    "getExportJob": (404, PROBLEM),  # the sample names a job that does not exist
}




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
    from shared.local.sample_events import replay

    text = (ROOT / "events" / fn.domain / f"{fn.path.stem}.json").read_text()
    event = replay(text, values["USER_ID"], values["CLIENT_ID"], values["ACCESS_TOKEN"])
    answer = local.functions[fn.logical_id].invoke(event)
    if fn.spec.kind == "authorizer":
        assert answer["isAuthorized"] is True and answer["context"]["user_id"] == values["USER_ID"]
        return
    if fn.spec.kind in ("stream", "queue"):
        assert answer == {"batchItemFailures": []}
        return
    status, keys = EXPECTED[fn.spec.name]
    assert answer["statusCode"] == status, answer
    if keys:
        body = json.loads(answer["body"])
        assert keys <= set(body), body
        expected_type = "application/problem+json" if status >= 400 else "application/json"
        assert answer["headers"]["content-type"] == expected_type
