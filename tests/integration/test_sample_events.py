"""Every function invoked with its sample event from events/: the answer's status and shape; and a
sample event for every kind of function (the fixture handlers have one of each), as its source sends it."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import pytest

from shared.local.functions import discover

ROOT = Path(__file__).resolve().parents[2]
FIXTURES, FIXTURE_PACKAGE = ROOT / "tests" / "fixtures", "fixture_handlers"

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
    "getJwks": (200, {"keys"}),
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
    "getSettings": (200, PAGE),
    "getSettingByKey": (200, {"key", "value", "source", "type", "version"}),
    "setSetting": (200, {"id", "key", "value", "type", "category", "version"}),
    "deleteSetting": (404, PROBLEM),  # the sample's custom key is not set
    "getSystemSettings": (200, {"type", "settings"}),
    "getClientSettings": (200, {"type", "client_id", "settings"}),
    "getUserSettings": (200, {"type", "user_id", "settings"}),
    "getSettingsByCategory": (200, {"type", "category", "settings"}),
    "bulkUpdateSettings": (200, {"results", "succeeded", "failed"}),
    "resetSettingsToDefault": (200, {"type", "removed", "count"}),
    "exportSettings": (202, {"job_id", "client_id", "status", "what", "href"}),
    # members: the samples name no member and send no fields (a 400 names the missing one)
    "createMember": (400, PROBLEM | {"field"}),
    "importMembers": (201, {"job_id", "status", "upload", "href"}),
    "getMemberImport": (404, PROBLEM),  # the sample names no import job
    "getMemberById": (404, PROBLEM),
    "getMembers": (200, PAGE),
    "getMemberByMemberId": (400, PROBLEM | {"field"}),
    "getMemberByEmail": (400, PROBLEM | {"field"}),
    "getMembersByTier": (400, PROBLEM | {"field"}),  # the sample's path names no tier
    "searchMembers": (400, PROBLEM | {"field"}),
    "updateMember": (404, PROBLEM),
    "deleteMember": (404, PROBLEM),
    "bulkUpdateMembers": (400, PROBLEM | {"field"}),
    # benefits: the samples name a benefit and a member that do not exist (404), but create, list and search.
    "getBenefits": (200, PAGE),
    "getBenefitById": (404, PROBLEM),
    "createBenefit": (201, {"id", "name", "type", "tier_requirement", "status", "max_redemptions", "version"}),
    "updateBenefit": (404, PROBLEM),
    "deleteBenefit": (404, PROBLEM),
    "getMemberBenefits": (404, PROBLEM),
    "grantBenefitToMember": (404, PROBLEM),
    "useMemberBenefit": (404, PROBLEM),
    "getBenefitsByTier": (200, PAGE),
    "searchBenefits": (200, PAGE),
    "bulkUpdateBenefits": (200, {"results", "succeeded", "failed"}),
    "getBenefitUsage": (404, PROBLEM),
    "activateBenefit": (404, PROBLEM),
    "deactivateBenefit": (404, PROBLEM),
    "createConversation": (201, {"id", "conversation_sid", "status", "participant_count", "message_count"}),
    "getConversations": (200, PAGE),
    "getConversationBySid": (404, PROBLEM),  # the sample names a sid no conversation has
    "updateConversation": (404, PROBLEM),  # the sample names no conversation
    "updateConversationMessageCount": (404, PROBLEM),
    "createWebhookEndpoint": (201, {"id", "url", "event_types", "enabled", "secret", "version"}),
    "getWebhookEndpoints": (200, PAGE),
    "updateWebhookEndpoint": (404, PROBLEM),  # the sample names no endpoint
    "deleteWebhookEndpoint": (404, PROBLEM),
    "triggerWebhook": (202, {"event_id", "event_type", "deliveries"}),
    "getWebhooks": (200, PAGE),
    "getWebhooksByEvent": (200, PAGE),
    "getFailedWebhooks": (200, PAGE),
    "getWebhookStats": (200, {"client_id", "total", "by_status", "by_provider", "by_event_type"}),
    "logWebhookEvent": (201, {"id", "provider", "event_type", "event_id", "status", "version"}),
    "updateWebhookStatus": (404, PROBLEM),  # the sample names a webhook that does not exist
    "bulkUpdateWebhooks": (200, {"results", "succeeded", "failed"}),
    "retryFailedWebhooks": (200, {"results", "succeeded", "failed"}),
    "getOptOutRequests": (200, PAGE),
    "getSpamReports": (200, PAGE),
    # Provider callbacks: a sample is not signed by the provider, so it is refused before anything is read.
    "receiveTwilioStatus": (403, PROBLEM | {"field"}),
    "receiveTwilioInbound": (403, PROBLEM | {"field"}),
    "receiveTwilioConversationEvent": (403, PROBLEM | {"field"}),
    "receiveSendgridEvents": (403, PROBLEM | {"field"}),
    # member insights: the samples name a member that does not exist
    "updateMemberEngagement": (404, PROBLEM),
    "updateMemberSpend": (404, PROBLEM),
    "getMemberLifetimeValue": (404, PROBLEM),
    "calculateChurnRisk": (404, PROBLEM),
    "getMemberRecommendations": (404, PROBLEM),
    "trackMemberActivity": (404, PROBLEM),
    "getMemberReferrals": (404, PROBLEM),
    "upgradeMemberTier": (404, PROBLEM),
    # member counters and privacy requests (h-privacy)
    "getMemberStats": (200, {"total", "by_status", "by_tier", "new_this_month", "average_spend"}),
    "getMemberSegments": (200, {"total", "tier", "status", "engagement_band", "spend_band", "acquisition_channel"}),
    "eraseMember": (404, PROBLEM),  # the sample names a member that does not exist
    "exportMember": (404, PROBLEM),
    # communications (h-send): the samples name a communication and a member that do not exist
    "createCommunication": (202, {"id", "status", "channel", "to_number", "from_number", "status_history"}),
    "bulkCreateCommunications": (200, {"results", "succeeded", "failed"}),
    "getCommunicationById": (404, PROBLEM),
    "getCommunications": (200, PAGE),
    "getCommunicationsByMember": (404, PROBLEM),
    "logSMS": (201, {"id", "status", "sent_at"}),
    "logMMS": (201, {"id", "status", "media_urls"}),
    "logEmail": (201, {"id", "status", "to_email"}),
    "updateCommunicationStatus": (404, PROBLEM),
    # communication reports and maintenance (h-reports): counters of the sample's tenant; the timeline's
    # sample names a communication that does not exist
    "getCommunicationStats": (200, {"total", "by_status", "by_channel", "by_direction", "total_cost"}),
    "getDeliveryRates": (200, {"sent", "delivered", "delivery_rate", "by_channel", "start_date", "channel"}),
    "getCommunicationCosts": (200, {"cost", "segments", "average_cost_per_message", "by_channel"}),
    "getEngagementMetrics": (200, {"opened", "clicked", "replied", "open_rate", "by_channel"}),
    "getResponseRates": (200, {"replied", "inbound", "response_rate", "by_channel"}),
    "getCommunicationsByChannel": (200, PAGE),
    "getCommunicationTimeline": (404, PROBLEM),
    "retryFailedCommunications": (200, {"results", "succeeded", "failed"}),
    "exportCommunications": (202, {"job_id", "client_id", "status", "href"}),
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


def _room_for_an_endpoint(tenant: str) -> None:
    """The demo tenant is the suite's: other tests (the rights matrix) add endpoints to it, and past
    MAX_PER_TENANT the sample's create is the cap's 409. Deleted ones do not count."""
    from shared.webhooks import endpoint_store

    for endpoint in endpoint_store.all_live(tenant):
        endpoint_store.soft_delete(tenant, endpoint.id, actor=None, operation="deleteWebhookEndpoint")


@pytest.mark.parametrize("fn", discover(ROOT), ids=lambda f: f.spec.name)
def test_sample_event(fn, local, values):
    from shared.local.sample_events import replay

    text = (ROOT / "events" / fn.domain / f"{fn.path.stem}.json").read_text()
    event = replay(text, values["USER_ID"], values["CLIENT_ID"], values["ACCESS_TOKEN"])
    if fn.spec.name == "createWebhookEndpoint":
        _room_for_an_endpoint(values["CLIENT_ID"])
    answer = local.functions[fn.logical_id].invoke(event)
    if fn.spec.kind == "authorizer":
        assert answer["isAuthorized"] is True and answer["context"]["user_id"] == values["USER_ID"]
        return
    if fn.spec.kind in ("stream", "queue"):
        assert answer == {"batchItemFailures": []}
        return
    if fn.spec.kind == "schedule":
        return  # a scheduled function answers nobody: that its sample ran without raising is the check
    status, keys = EXPECTED[fn.spec.name]
    assert answer["statusCode"] == status, answer
    if keys:
        body = json.loads(answer["body"])
        assert keys <= set(body), body
        expected_type = "application/problem+json" if status >= 400 else "application/json"
        assert answer["headers"]["content-type"] == expected_type


# --- every kind of function ------------------------------------------------------------------------------------
def test_every_kind_of_function_gets_the_event_its_source_sends(tmp_path):
    from shared.local.sample_events import KINDS, UNKNOWN_ID, sample_path, write_all
    from shared.local.template import SIZING

    every = discover(FIXTURES, FIXTURE_PACKAGE)
    fns = {fn.spec.kind: fn for fn in every if fn.spec.name != "recordDelivery"}  # one of each kind
    # Every kind the template can wire (SIZING) has a builder, and a fixture handler to hold it against.
    assert set(fns) == set(KINDS) == set(SIZING) - {"api-heavy"}
    assert sorted(write_all(FIXTURES, FIXTURE_PACKAGE, tmp_path)) == sorted(sample_path(f, tmp_path) for f in every)
    events = {kind: json.loads(sample_path(fn, tmp_path).read_text()) for kind, fn in fns.items()}
    answers = {kind: importlib.import_module(fn.module).handler(events[kind], None) for kind, fn in fns.items()}

    # A schedule that sets no Input (what `echelonx template` writes) delivers Scheduler's own notification.
    schedule = events["schedule"]
    arn = "arn:aws:scheduler:us-east-1:123456789012:schedule/echelonx-campaigns/SweepRemindersFunctionSchedule"
    assert (schedule["source"], schedule["detail-type"], schedule["detail"]) == ("aws.scheduler", "Scheduled Event", "{}")
    assert answers["schedule"] == {"fired_by": arn, "at": schedule["time"]}
    assert events["queue"]["Records"][0]["eventSourceARN"].endswith(":echelonx-WorkQueue")
    assert answers["queue"] == answers["stream"] == {"batchItemFailures": []}
    assert answers["authorizer"] == {"isAuthorized": True}
    # A new operation's sample starts from its route: path parameters as an unknown id, no caller (public).
    assert events["api"]["pathParameters"] == {"id": UNKNOWN_ID}
    assert "authorizer" not in events["api"]["requestContext"]
    assert answers["api"]["statusCode"] == 200 and json.loads(answers["api"]["body"]) == {"id": UNKNOWN_ID}
    # A new webhook's sample: no caller, an empty body of the media type it accepts first, to complete by hand.
    assert "authorizer" not in events["webhook"]["requestContext"] and "body" not in events["webhook"]
    assert events["webhook"]["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert answers["webhook"]["statusCode"] == 400 and json.loads(answers["webhook"]["body"])["field"] == "/body"


def test_a_webhook_sample_keeps_its_form_and_is_handed_over_base64_encoded(tmp_path):
    from shared.local.sample_events import sample_path, write_all

    fn = next(f for f in discover(FIXTURES, FIXTURE_PACKAGE) if f.spec.name == "replyToMessage")
    write_all(FIXTURES, FIXTURE_PACKAGE, tmp_path)
    path = sample_path(fn, tmp_path)
    call = json.loads(path.read_text())
    call["body"] = "From=%2B15550100&Body=hello"  # the request, edited by hand as the form it is
    path.write_text(json.dumps(call))
    write_all(FIXTURES, FIXTURE_PACKAGE, tmp_path)
    event = json.loads(path.read_text())
    assert event["isBase64Encoded"] is True and event["body"] == "RnJvbT0lMkIxNTU1MDEwMCZCb2R5PWhlbGxv"
    answer = importlib.import_module(fn.module).handler(event, None)
    assert answer["statusCode"] == 200 and "<Message>hello</Message>" in answer["body"]


def test_a_sample_file_keeps_its_request_and_gets_its_envelope_back(tmp_path):
    from shared.local.sample_events import sample_path, write_all

    fns = {fn.spec.kind: fn for fn in discover(FIXTURES, FIXTURE_PACKAGE)}
    write_all(FIXTURES, FIXTURE_PACKAGE, tmp_path)
    queue, api = sample_path(fns["queue"], tmp_path), sample_path(fns["api"], tmp_path)
    message = json.loads(queue.read_text())
    message["Records"][0]["body"] = json.dumps({"fail": True})  # the request, edited by hand
    del message["Records"][0]["eventSource"]  # and the envelope, damaged
    queue.write_text(json.dumps(message))
    call = json.loads(api.read_text())
    call["pathParameters"], call["queryStringParameters"] = {"id": "01JOTHER000000000000000000"}, {"verbose": "1"}
    call["headers"]["if-match"] = '"3"'
    api.write_text(json.dumps(call))

    assert sorted(write_all(FIXTURES, FIXTURE_PACKAGE, tmp_path)) == sorted([queue, api])
    record = json.loads(queue.read_text())["Records"][0]
    assert json.loads(record["body"]) == {"fail": True} and record["eventSource"] == "aws:sqs"
    call = json.loads(api.read_text())
    assert call["rawPath"] == "/jobs/01JOTHER000000000000000000" and call["rawQueryString"] == "verbose=1"
    assert call["headers"]["if-match"] == '"3"' and call["headers"]["host"] == "api.echelonx.example"
    assert write_all(FIXTURES, FIXTURE_PACKAGE, tmp_path) == []  # written once, stable after


def test_a_kind_without_a_builder_is_refused_by_name():
    from shared.api.spec import FunctionSpec
    from shared.local.functions import FunctionModule
    from shared.local.sample_events import event_for

    fn = FunctionModule(Path("functions/x/y.py"), "x", "functions.x.y", "x/y.handler", FunctionSpec("iot", "onThing"))
    with pytest.raises(ValueError, match="functions.x.y.*'iot'"):
        event_for(fn)


def test_events_folder_is_what_echelonx_events_writes(tmp_path):
    from shared.local.sample_events import write_all

    shutil.copytree(ROOT / "events", tmp_path / "events")
    assert write_all(ROOT, out=tmp_path / "events") == [], "events/ has drifted: run `echelonx events`"
