"""Conversations through the gateway with real JWTs, the real Twilio SDK talking to the fake: the 5
operations, each refusal, what a failing Twilio leaves behind, and counts that a retried callback
never doubles."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared import clock
from shared.ids import new_id
from tests.eventually import eventually

PASSWORD = "correct-horse-battery"


def _login(api, email, password=PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture(scope="module")
def tenant(api, local):
    """A fresh tenant with an admin, a manager and a user, one member; a second tenant with its admin
    and a member."""
    creds = local.logins["super_admin"]
    sa = _login(api, creds["email"], creds["password"]).json()["access_token"]

    def client():
        r = api.post("/clients", token=sa, json={"name": f"Conversations Co {new_id()}", "subscription_tier": "basic"})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def staff(client_id, role):
        email = f"{role}-{new_id().lower()}@conversations.example"
        r = api.post("/users", token=sa, json={"email": email, "role": role, "password": PASSWORD,
                                               "client_id": client_id})
        assert r.status_code == 201, r.text
        return _login(api, email).json()["access_token"]

    def member(token):
        r = api.post("/members", token=token, json={"member_id": f"c-{new_id()}"})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    own, other = client(), client()
    people = {role: staff(own, role) for role in ("admin", "manager", "user")}
    other_admin = staff(other, "admin")
    return {"id": own, "other": other, **people, "other_admin": other_admin,
            "member": member(people["manager"]), "other_member": member(other_admin)}


@pytest.fixture(autouse=True)
def _no_faults(local):
    local.provider_fakes.state.clear_faults()
    yield
    local.provider_fakes.state.clear_faults()


def _problem(r, status, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.text
    if field:
        assert r.json()["field"] == field, r.json()
    return r.json()


def _at_twilio(local, unique_name):
    """The fake's conversations of this unique name."""
    state = local.provider_fakes.state
    with state.lock:
        return [dict(c["resource"]) for c in state.conversations.values() if c["resource"]["unique_name"] == unique_name]


def _create(api, tenant, **body):
    r = api.post("/conversations", token=tenant["manager"], json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _sid():
    return "IM" + uuid.uuid4().hex


def test_a_conversation_is_made_at_twilio_then_recorded(api, local, tenant):
    made = _create(api, tenant, friendly_name="Table for two", member_id=tenant["member"])

    assert made["conversation_sid"].startswith("CH") and made["status"] == "active"
    assert (made["member_id"], made["friendly_name"], made["message_count"], made["participant_count"]) == (
        tenant["member"], "Table for two", 0, 0)
    [twilio] = _at_twilio(local, f"{tenant['id']}.{made['id']}")
    assert twilio["sid"] == made["conversation_sid"] and twilio["friendly_name"] == "Table for two"
    found = api.get("/conversations/by-sid", token=tenant["user"], params={"conversation_sid": made["conversation_sid"]})
    assert found.status_code == 200 and found.json()["id"] == made["id"]


def test_refusals(api, tenant):
    _problem(api.post("/conversations", token=tenant["user"], json={}), 403)
    _problem(api.post("/conversations", token=tenant["manager"], json={"member_id": new_id()}), 404, "/body/member_id")
    _problem(api.post("/conversations", token=tenant["manager"], json={"member_id": tenant["other_member"]}), 404,
             "/body/member_id")
    _problem(api.post("/conversations", token=tenant["manager"], json={"unique_name": "no spaces"}), 400,
             "/body/unique_name")
    _problem(api.post("/conversations", token=tenant["manager"], json={"friendly_name": 5}), 400, "/body/friendly_name")
    _problem(api.get("/conversations/by-sid", token=tenant["user"], params={"conversation_sid": "CH123"}), 400,
             "/query/conversation_sid")
    _problem(api.get("/conversations", token=tenant["user"], params={"status": "open"}), 400, "/query/status")
    theirs = api.post("/conversations", token=tenant["other_admin"], json={}).json()
    _problem(api.get("/conversations/by-sid", token=tenant["admin"], params={"conversation_sid": theirs["conversation_sid"]}),
             404, "/query/conversation_sid")
    _problem(api.patch(f"/conversations/{theirs['id']}", token=tenant["admin"], json={"status": "closed"}), 404)
    _problem(api.post(f"/conversations/{theirs['id']}/message-count", token=tenant["admin"],
                      json={"message_sid": _sid()}), 404)


def test_a_twilio_failure_records_nothing_and_says_so(api, local, tenant):
    before = api.get("/conversations", token=tenant["user"]).json()["items"]
    fakes = local.provider_fakes

    fakes.inject_fault("twilio", "500")
    failed = _problem(api.post("/conversations", token=tenant["manager"], json={"unique_name": "down-1"}), 502)
    assert "traceback" not in str(failed).lower() and failed["correlation_id"]
    fakes.inject_fault("twilio", "429", retry_after=9)
    r = api.post("/conversations", token=tenant["manager"], json={"unique_name": "busy-1"})
    _problem(r, 503)
    assert r.headers["retry-after"] == "9"

    assert api.get("/conversations", token=tenant["user"]).json()["items"] == before
    assert _at_twilio(local, f"{tenant['id']}.down-1") == [] and _at_twilio(local, f"{tenant['id']}.busy-1") == []
    assert _create(api, tenant, unique_name="down-1")["unique_name"] == "down-1"  # nothing was left half-made


def test_a_lost_answer_or_a_retry_never_makes_a_second_conversation(api, local, tenant):
    from shared.providers import twilio_conversations

    local.provider_fakes.inject_fault("twilio", "send_then_500")  # Twilio made it, then the answer was lost
    settled = _create(api, tenant, unique_name="order-1001")
    assert [c["sid"] for c in _at_twilio(local, f"{tenant['id']}.order-1001")] == [settled["conversation_sid"]]

    # A first attempt timed out after Twilio made it (no record): the retry records that one.
    earlier = twilio_conversations.create_conversation(f"{tenant['id']}.order-1002").provider_id
    retried = _create(api, tenant, unique_name="order-1002")
    assert retried["conversation_sid"] == earlier and len(_at_twilio(local, f"{tenant['id']}.order-1002")) == 1

    _problem(api.post("/conversations", token=tenant["manager"], json={"unique_name": "order-1002"}), 409,
             "/body/unique_name")
    assert len(_at_twilio(local, f"{tenant['id']}.order-1002")) == 1


def test_update_moves_status_forward_and_closed_is_final(api, local, tenant):
    made = _create(api, tenant, friendly_name="Support")
    url, token = f"/conversations/{made['id']}", tenant["manager"]

    renamed = api.patch(url, token=token, json={"friendly_name": "Support #2", "status": "inactive"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["friendly_name"], renamed.json()["status"]) == ("Support #2", "inactive")
    [twilio] = _at_twilio(local, f"{tenant['id']}.{made['id']}")
    assert (twilio["friendly_name"], twilio["state"]) == ("Support #2", "inactive")
    assert api.patch(url, token=token, json={"status": "active"}).json()["status"] == "active"

    _problem(api.patch(url, token=token, json={"status": None}), 400, "/body/status")
    _problem(api.patch(url, token=token, json={"status": "closed"}, headers={"if-match": '"1"'}), 412, "/headers/if-match")
    local.provider_fakes.inject_fault("twilio", "500")
    _problem(api.patch(url, token=token, json={"status": "closed"}), 502)
    assert api.get("/conversations/by-sid", token=token,
                   params={"conversation_sid": made["conversation_sid"]}).json()["status"] == "active"

    closed = api.patch(url, token=token, json={"status": "closed"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    _problem(api.patch(url, token=token, json={"status": "active"}), 409, "/body/status")
    _problem(api.patch(url, token=token, json={"friendly_name": "Reopened?"}), 409, "/body/friendly_name")
    assert _at_twilio(local, f"{tenant['id']}.{made['id']}")[0]["state"] == "closed"


def test_counts_are_atomic_once_per_message_and_time_only_moves_forward(api, tenant):
    made = _create(api, tenant)
    url, token = f"/conversations/{made['id']}/message-count", tenant["manager"]
    first, late = _sid(), _sid()
    now = clock.freeze(clock.now_ms() + 60_000)

    with ThreadPoolExecutor(8) as pool:  # one callback delivered 8 times at once
        answers = list(pool.map(lambda _: api.post(url, token=token, json={"message_sid": first,
                                                                              "participants_added": 2}), range(8)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    counted = api.post(url, token=token, json={"message_sid": late, "sent_at": now - 30_000}).json()

    assert (counted["message_count"], counted["participant_count"], counted["last_message_at"]) == (2, 2, now)
    again = api.post(url, token=token, json={"message_sid": late, "sent_at": now + 5}).json()
    assert (again["message_count"], again["last_message_at"]) == (2, now)  # a retried callback changes nothing
    _problem(api.post(url, token=token, json={"message_sid": "IM-nope"}), 400, "/body/message_sid")
    _problem(api.post(url, token=token, json={"message_sid": _sid(), "participants_added": -1}), 400,
             "/body/participants_added")
    _problem(api.post(url, token=tenant["user"], json={"message_sid": _sid()}), 403)


def test_a_callback_knowing_only_the_sids_counts_in_the_right_tenant(api, tenant):
    from shared.conversations import service

    made = _create(api, tenant)
    message = _sid()
    for _ in range(3):  # Twilio retries its webhooks
        counted = service.record_message_by_sid(made["conversation_sid"], message, participants_added=1)
    assert (counted.client_id, counted.id, counted.message_count, counted.participant_count) == (
        tenant["id"], made["id"], 1, 1)
    assert service.record_message_by_sid("CH" + uuid.uuid4().hex, message) is None


def test_lists_show_latest_activity_first_by_status(api, tenant):
    clock.freeze()
    quiet, busy, shut = _create(api, tenant), _create(api, tenant), _create(api, tenant)
    clock.advance(60)
    api.post(f"/conversations/{quiet['id']}/message-count", token=tenant["manager"], json={"message_sid": _sid()})
    api.patch(f"/conversations/{shut['id']}", token=tenant["manager"], json={"status": "closed"})
    clock.advance(60)
    api.post(f"/conversations/{busy['id']}/message-count", token=tenant["manager"], json={"message_sid": _sid()})
    mine = {quiet["id"], busy["id"], shut["id"]}

    def walk(**params):
        found, cursor = [], None
        while True:
            page = api.get("/conversations", token=tenant["user"], params={"limit": 2, "cursor": cursor, **params}).json()
            found += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return found

    listed = walk()
    assert [c["id"] for c in listed if c["id"] in mine] == [busy["id"], quiet["id"], shut["id"]]  # shut: its creation
    assert len({c["id"] for c in listed}) == len(listed)  # pages neither repeat nor skip
    closed, active = walk(status="closed"), walk(status="active")
    assert shut["id"] in [c["id"] for c in closed] and {c["status"] for c in closed} == {"closed"}
    assert [c["id"] for c in active if c["id"] in mine] == [busy["id"], quiet["id"]]


def test_a_conversation_channel_message_is_posted_into_its_conversation_once(api, local, tenant):
    """createCommunication with channel conversation posts into the tenant's open conversation named by
    metadata.conversation_sid (the Conversations API of the real SDK against the fake); an answer lost
    after Twilio posted is found by the communication id the message carries, not posted again."""
    conversation = _create(api, tenant, friendly_name="Concierge")
    sid = conversation["conversation_sid"]

    def post(content, **metadata):
        return api.post("/communications", token=tenant["manager"], json={
            "channel": "conversation", "content": content, "metadata": metadata})

    def posted(content):
        return [m for m in local.provider_fakes.outbox("twilio") if m["kind"] == "conversation" and m["body"] == content]

    def comm(comm_id):
        return eventually(lambda: (c := api.get(f"/communications/{comm_id}", token=tenant["manager"]).json())[
            "status"] != "queued" and c)

    first = post(f"Your room is ready {new_id()}", conversation_sid=sid)
    assert first.status_code == 202, first.text
    sent = comm(first.json()["id"])
    assert sent["status"] == "sent" and sent["provider"] == "twilio" and sent["provider_id"].startswith("IM")
    [message] = posted(first.json()["content"])
    assert message["to"] == sid and message["id"] == sent["provider_id"]

    local.provider_fakes.inject_fault("twilio", "send_then_500")
    lost = post(f"Checkout is at noon {new_id()}", conversation_sid=sid).json()
    local.poller.settle("sqs")
    clock.advance(31)  # the settling check reads the conversation's messages
    settled = comm(lost["id"])
    assert settled["status"] == "sent" and settled["retry_count"] == 0 and len(posted(lost["content"])) == 1

    _problem(post("hi"), 422, "/body/metadata/conversation_sid")
    _problem(post("hi", conversation_sid="CH" + "0" * 32), 422, "/body/metadata/conversation_sid")
    theirs = api.post("/conversations", token=tenant["other_admin"], json={}).json()
    _problem(post("hi", conversation_sid=theirs["conversation_sid"]), 422, "/body/metadata/conversation_sid")
    r = api.patch(f"/conversations/{conversation['id']}", token=tenant["manager"], json={"status": "closed"},
                  headers={"if-match": f'"{conversation["version"]}"'})
    assert r.status_code == 200, r.text
    _problem(post("hi", conversation_sid=sid), 422, "/body/metadata/conversation_sid")
