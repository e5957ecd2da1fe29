"""Conversations through the gateway with real JWTs, the real Twilio SDK talking to the fake: the 5
operations, each refusal, what a failing Twilio leaves behind, and counts that a retried callback
never doubles."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from shared import clock
from shared.ids import new_id
from tests import tenants
from tests.eventually import eventually

PASSWORD = "correct-horse-battery"


def _login(api, email, password=PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture(scope="module")
def tenant(api, local):
    """A fresh tenant with an admin, a manager and a user, one member; a second tenant with its admin
    and a member."""
    def member(token):
        r = api.post("/members", token=token, json={"member_id": f"c-{new_id()}"})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    made = tenants.two_tenants(api, tenants.super_admin(api, local), "Conversations Co", "conversations.example",
                               tier="basic")
    return {**made, "member": member(made["manager"]), "other_member": member(made["other_admin"])}


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


# --- Twilio Conversations events (onMessageAdded) ----------------------------------------------------------
def _form(api, params, headers):
    from urllib.parse import urlencode

    return api.post("/webhooks/twilio/conversations", data=urlencode(params),
                    headers={"content-type": "application/x-www-form-urlencoded", **headers})


def _signed(local, params, token=None):
    from shared.local.fakes.twilio_callbacks import signature

    return signature(f"{local.url}/webhooks/twilio/conversations", params,
                     token or local.provider_fakes.credentials.twilio_auth_token)


def _ms(iso):
    from datetime import datetime

    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def _by_sid(api, tenant, sid):
    return api.get("/conversations/by-sid", token=tenant["user"], params={"conversation_sid": sid}).json()


def _inbound_of(api, tenant, message_sid):
    r = api.get("/communications", token=tenant["manager"], params={"direction": "inbound", "limit": 100})
    assert r.status_code == 200, r.text
    return [c for c in r.json()["items"] if c["provider_id"] == message_sid]


def test_a_members_message_becomes_one_inbound_communication_counted_once(api, local, tenant):
    fakes = local.provider_fakes
    made = _create(api, tenant, friendly_name="Front desk", member_id=tenant["member"])
    sid, content = made["conversation_sid"], f"Is my table ready? {new_id()}"
    clock.freeze(clock.now_ms() + 120_000)

    control = f"{fakes.base_url}/_fake/twilio/conversations/{sid}"  # as the README's curl calls it
    r = requests.post(f"{control}/inbound", json={"author": "+14155550142", "body": content}, timeout=10)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["status"] == 200, first["answer"]
    assert requests.post(f"{fakes.base_url}/_fake/twilio/conversations/CH{'0' * 32}/inbound",
                         json={"author": "x", "body": "y"}, timeout=10).status_code == 404
    params, headers = first["params"], first["headers"]
    assert params["EventType"] == "onMessageAdded" and params["ParticipantSid"].startswith("MB")
    # Twilio's retry (the same idempotency token), the very same request replayed, and the same message
    # without the token (another event key): one communication, counted once.
    again = requests.post(f"{control}/events", json={"message_sid": params["MessageSid"]}, timeout=10).json()
    assert again["status"] == 200 and again["headers"]["I-Twilio-Idempotency-Token"] == \
        first["headers"]["I-Twilio-Idempotency-Token"]
    assert _form(api, params, {"x-twilio-signature": headers["X-Twilio-Signature"],
                               "i-twilio-idempotency-token": headers["I-Twilio-Idempotency-Token"]}).status_code == 200
    assert _form(api, params, {"x-twilio-signature": headers["X-Twilio-Signature"]}).status_code == 200

    r = api.get(f"/members/{tenant['member']}/communications", token=tenant["manager"])
    [inbound] = [c for c in r.json()["items"] if c["content"] == content]
    assert (inbound["channel"], inbound["direction"], inbound["status"], inbound["provider_id"]) == (
        "conversation", "inbound", "delivered", params["MessageSid"])
    assert inbound["metadata"]["conversation_sid"] == sid and inbound["metadata"]["message_sid"] == params["MessageSid"]
    counted = _by_sid(api, tenant, sid)
    assert (counted["message_count"], counted["last_message_at"]) == (1, _ms(params["DateCreated"]))
    member = api.get(f"/members/{tenant['member']}", token=tenant["manager"]).json()
    assert member["last_active"] >= _ms(params["DateCreated"])
    r = api.get("/webhooks/by-event", token=tenant["manager"], params={"event_type": "conversation.onMessageAdded"})
    assert r.status_code == 200, r.text
    stored = [w for w in r.json()["items"] if json.loads(w["payload"])["MessageSid"] == params["MessageSid"]]
    # The token's event and the sid's (the post without it): each stored once, both applied.
    assert sorted((w["event_id"], w["status"]) for w in stored) == sorted([
        (headers["I-Twilio-Idempotency-Token"], "processed"), (f"{params['MessageSid']}:onMessageAdded", "processed")])


def test_messages_in_any_order_count_each_once_and_time_only_moves_forward(api, local, tenant):
    from shared.local.fakes import twilio_conversations_api as at_twilio

    fakes = local.provider_fakes
    made = _create(api, tenant, member_id=tenant["member"])
    sid = made["conversation_sid"]
    conversation = at_twilio.find(fakes.state, sid)
    clock.freeze(clock.now_ms() + 240_000)
    early = at_twilio.add_message(fakes.state, conversation, "first", "+14155550142")
    clock.advance(60)
    late = at_twilio.add_message(fakes.state, conversation, "second", "+14155550142")
    for message in (late, early, late, early):  # delivered out of order, each twice
        assert fakes.send_conversation_event(sid, message["sid"])["status"] == 200
    counted = _by_sid(api, tenant, sid)
    assert (counted["message_count"], counted["last_message_at"]) == (2, _ms(late["date_created"]))
    assert [len(_inbound_of(api, tenant, m["sid"])) for m in (early, late)] == [1, 1]


def test_our_own_post_is_counted_but_not_recorded_as_inbound(api, local, tenant):
    made = _create(api, tenant, member_id=tenant["member"])
    sid = made["conversation_sid"]
    r = api.post("/communications", token=tenant["manager"], json={
        "channel": "conversation", "content": f"Your table is ready {new_id()}", "metadata": {"conversation_sid": sid}})
    assert r.status_code == 202, r.text
    sent = eventually(lambda: (c := api.get(f"/communications/{r.json()['id']}", token=tenant["manager"]).json())[
        "status"] == "sent" and c)

    event = local.provider_fakes.send_conversation_event(sid, sent["provider_id"])  # Twilio tells us of our post
    assert event["status"] == 200 and sent["id"] in event["params"]["Attributes"]
    assert _inbound_of(api, tenant, sent["provider_id"]) == []
    assert _by_sid(api, tenant, sid)["message_count"] == 1  # a message of the thread all the same


def test_a_forged_or_tampered_conversation_event_changes_nothing(api, local, tenant):
    made = _create(api, tenant, member_id=tenant["member"])
    params = {"EventType": "onMessageAdded", "ConversationSid": made["conversation_sid"], "MessageSid": _sid(),
              "Author": "+14155550142", "Body": "Refund me", "DateCreated": "2026-12-02T04:00:00Z", "Index": "0",
              "Attributes": "{}"}
    good = _signed(local, params)

    assert _problem(_form(api, params, {}), 403, "/headers/x-twilio-signature")  # unsigned
    assert _problem(_form(api, dict(params, Body="Refund me twice"), {"x-twilio-signature": good}), 403)  # tampered
    assert _problem(_form(api, params, {"x-twilio-signature": _signed(local, params, "0" * 32)}), 403)  # another token
    assert _problem(_form(api, params, {"x-twilio-signature": "bm90IGEgc2lnbmF0dXJl"}), 403)
    assert _by_sid(api, tenant, made["conversation_sid"])["message_count"] == 0
    assert _inbound_of(api, tenant, params["MessageSid"]) == []
    _problem(_form(api, dict(params, MessageSid="IM-nope"), {"x-twilio-signature": good}), 400, "/body/MessageSid")

    # Signed, but about a conversation nobody recorded, or an event we do not read: answered, nothing changes.
    unknown = dict(params, ConversationSid="CH" + uuid.uuid4().hex)
    assert _form(api, unknown, {"x-twilio-signature": _signed(local, unknown)}).status_code == 200
    other = dict(params, EventType="onConversationUpdated")
    assert _form(api, other, {"x-twilio-signature": _signed(local, other)}).status_code == 200
    assert _by_sid(api, tenant, made["conversation_sid"])["message_count"] == 0
    assert _form(api, params, {"x-twilio-signature": good}).status_code == 200
    assert _by_sid(api, tenant, made["conversation_sid"])["message_count"] == 1


def test_an_event_that_failed_to_apply_is_kept_and_retried(api, local, tenant, monkeypatch):
    from shared.conversations import service

    made = _create(api, tenant, member_id=tenant["member"])
    real, broken = service.record_message, []

    def outage(*args, **kwargs):
        if not broken:
            broken.append(True)
            raise RuntimeError("the table was briefly unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "record_message", outage)
    content = f"Still there? {new_id()}"
    sent = local.provider_fakes.send_conversation_inbound(made["conversation_sid"], "+14155550142", content)
    assert sent["status"] == 200 and _by_sid(api, tenant, made["conversation_sid"])["message_count"] == 0
    failed = [w for w in api.get("/webhooks/failed", token=tenant["manager"]).json()["items"]
              if w["event_type"] == "conversation.onMessageAdded"]
    assert failed and "briefly unavailable" in failed[0]["error_message"]

    r = api.post("/webhooks/failed/retry", token=tenant["admin"], json={"provider": "twilio"})
    assert r.status_code == 200, r.text
    assert _by_sid(api, tenant, made["conversation_sid"])["message_count"] == 1
    assert len(_inbound_of(api, tenant, sent["params"]["MessageSid"])) == 1  # recorded before: not again
