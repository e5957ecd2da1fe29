"""The Twilio Conversations adapter driven through the real SDK against the fake (HTTP on loopback)."""

from __future__ import annotations

import pytest

from shared.local.fakes import ProviderFakes
from shared.providers import config, twilio_conversations
from shared.providers.errors import ProviderError
from tests.eventually import eventually


@pytest.fixture(scope="module")
def fakes():
    with ProviderFakes() as running:
        yield running


@pytest.fixture(autouse=True)
def provider_env(fakes, monkeypatch):
    fakes.clear()
    for name, value in fakes.settings().items():
        monkeypatch.setenv(name, value)
    for name, value in fakes.secrets().items():
        config.inject_secret(name.removesuffix("_SECRET_ID"), value)
    monkeypatch.setenv("PROVIDER_TIMEOUT_SECONDS", "5")
    yield
    config.clear_injected()


def _conversations(fakes):
    with fakes.state.lock:
        return [dict(c["resource"]) for c in fakes.state.conversations.values()]


def test_a_conversation_is_created_fetched_by_name_and_updated(fakes):
    made = twilio_conversations.create_conversation("t1.order-1", friendly_name="Order 1",
                                                    attributes={"client_id": "t1"})

    assert made.provider_id.startswith("CH") and len(made.provider_id) == 34
    assert made.status == "active"
    assert twilio_conversations.attributes_of(made) == {"client_id": "t1"}
    assert twilio_conversations.fetch_conversation("t1.order-1").provider_id == made.provider_id
    assert twilio_conversations.fetch_conversation(made.provider_id).raw["friendly_name"] == "Order 1"
    closed = twilio_conversations.update_conversation(made.provider_id, friendly_name="Done", state="closed")
    assert (closed.status, closed.raw["friendly_name"]) == ("closed", "Done")
    assert twilio_conversations.fetch_conversation("t1.nothing") is None


def test_participants_and_messages_round_trip(fakes):
    sid = twilio_conversations.create_conversation("t1.chat").provider_id
    sms = twilio_conversations.add_participant(sid, address="+15558675310", proxy_address="+15005550006")
    chat = twilio_conversations.add_participant(sid, identity="agent-7")
    assert sms.raw["messaging_binding"]["address"] == "+15558675310" and chat.raw["identity"] == "agent-7"
    with pytest.raises(ProviderError) as caught:
        twilio_conversations.add_participant(sid, identity="agent-7")
    assert (caught.value.status, caught.value.code, caught.value.kind) == (409, 50416, "permanent")

    sent = [twilio_conversations.send_message(sid, f"hello {i}", author="agent-7").provider_id for i in range(60)]
    newest = twilio_conversations.list_messages(sid, limit=55)  # two pages of the fake's envelope
    assert [m.provider_id for m in newest] == list(reversed(sent))[:55]
    assert "body" not in newest[0].raw
    oldest = twilio_conversations.list_messages(sid, newest_first=False, limit=3)
    assert [m.raw["index"] for m in oldest] == [0, 1, 2]
    assert [e["id"] for e in fakes.outbox("twilio")] == sent


def test_a_lost_answer_is_settled_by_the_unique_name(fakes):
    fakes.inject_fault("twilio", "send_then_500")

    made = twilio_conversations.create_conversation("t1.lost-answer", friendly_name="Lost")

    assert [c["sid"] for c in _conversations(fakes)] == [made.provider_id]  # one, found by its name


def test_a_second_create_of_a_name_returns_the_first(fakes):
    first = twilio_conversations.create_conversation("t1.twice")
    again = twilio_conversations.create_conversation("t1.twice")

    assert again.provider_id == first.provider_id and len(_conversations(fakes)) == 1


def test_a_timeout_after_the_create_is_settled_once_twilio_acted(fakes, monkeypatch):
    monkeypatch.setenv("PROVIDER_TIMEOUT_SECONDS", "0.3")
    fakes.inject_fault("twilio", "hang", delay=0.6)

    with pytest.raises(ProviderError) as caught:  # the lookup right after the timeout finds nothing yet
        twilio_conversations.create_conversation("t1.slow")
    assert caught.value.ambiguous and caught.value.code == "timeout"
    eventually(lambda: _conversations(fakes))

    retried = twilio_conversations.create_conversation("t1.slow")  # the retry finds what the first made
    assert [c["sid"] for c in _conversations(fakes)] == [retried.provider_id]


def test_a_failure_that_created_nothing_keeps_its_error(fakes):
    fakes.inject_fault("twilio", "500")
    with pytest.raises(ProviderError) as caught:
        twilio_conversations.create_conversation("t1.down")
    assert caught.value.ambiguous and caught.value.status == 500
    assert _conversations(fakes) == []

    fakes.inject_fault("twilio", "429", retry_after=4)
    with pytest.raises(ProviderError) as caught:
        twilio_conversations.create_conversation("t1.busy")
    assert caught.value.transient and not caught.value.ambiguous and caught.value.retry_after == 4


def test_a_wrong_token_is_refused_without_showing_it(fakes):
    config.inject_secret("TWILIO_AUTH_TOKEN", "not-the-token-0123456789")
    with pytest.raises(ProviderError) as caught:
        twilio_conversations.create_conversation("t1.denied")
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert "not-the-token-0123456789" not in str(caught.value) + repr(caught.value)
