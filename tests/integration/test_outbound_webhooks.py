"""Outbound webhooks through the gateway: endpoint CRUD and its refusals, and deliveries the delivery
worker makes to a receiver on 127.0.0.1 (allowed by the local runtime's WEBHOOK_ALLOW_LOOPBACK), which
verifies them with the standardwebhooks library. DNS answers are replaced at socket.getaddrinfo, in
process, for the names a test makes up; every other lookup is the real one."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook

from shared import clock
from shared.ids import new_id
from shared.webhooks import delivery, delivery_store
from tests import tenants
from tests.eventually import eventually

PASSWORD = "correct-horse-battery"
PUBLIC = "93.184.215.14"


def _login(api, email, password=PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture(scope="module")
def tenant(api, local):
    """A fresh tenant with an admin, a manager and a user; a second tenant's admin."""
    return tenants.two_tenants(api, tenants.super_admin(api, local), "Hooks Co", "hooks.example")


class Receiver:
    """An HTTP server on 127.0.0.1 that records each request by path and answers the statuses it is
    told to for that path, in order (then 200)."""

    def __init__(self):
        self.requests: dict[str, list[dict]] = {}
        self.answers: dict[str, list[int]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                receiver.requests.setdefault(self.path, []).append({"headers": dict(self.headers), "body": body})
                planned = receiver.answers.get(self.path) or []
                self.send_response(planned.pop(0) if planned else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def got(self, path: str) -> list[dict]:
        return self.requests.get(path, [])


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def dns(monkeypatch):
    """dns["name"] = "address": what socket.getaddrinfo answers for that name from now on."""
    answers: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return real(answers[host], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def _problem(r, status, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.text
    if field:
        assert r.json()["field"] == field, r.json()
    return r.json()


def _endpoint(api, tenant, url, event_types=("member.created",)):
    r = api.post("/webhook-endpoints", token=tenant["admin"], json={"url": url, "event_types": list(event_types)})
    assert r.status_code == 201, r.text
    return r.json()


def _trigger(api, tenant, event_type="member.created", **extra):
    r = api.post("/webhooks/trigger", token=tenant["admin"],
                 json={"event_type": event_type, "payload": {"member_id": "m-1", "tier": "elite"}, **extra})
    assert r.status_code == 202, r.text
    return r.json()


def _webhook(tenant, webhook_id):
    return delivery_store.get(tenant["id"], webhook_id)


def test_endpoint_crud_shows_the_secret_once(api, tenant):
    created = _endpoint(api, tenant, f"https://{PUBLIC}/hooks", ("never.sent", "never.sent_either"))
    assert created["secret"].startswith("whsec_") and created["enabled"] is True
    listed = api.get("/webhook-endpoints", token=tenant["manager"]).json()["items"]
    mine = next(e for e in listed if e["id"] == created["id"])
    assert "secret" not in mine and "signing_secret" not in mine
    assert mine["event_types"] == ["never.sent", "never.sent_either"]

    r = api.patch(f"/webhook-endpoints/{created['id']}", token=tenant["admin"],
                  json={"event_types": ["never.sent", "never.sent"], "description": "twice named"})
    assert r.status_code == 200, r.text
    assert r.json()["event_types"] == ["never.sent"] and r.json()["secret"] is None
    rotated = api.patch(f"/webhook-endpoints/{created['id']}", token=tenant["admin"], json={"rotate_secret": True})
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != created["secret"]
    assert rotated.json()["secret_rotated_at"] is not None
    off = api.patch(f"/webhook-endpoints/{created['id']}", token=tenant["admin"], json={"enabled": False})
    assert off.json()["enabled"] is False and off.json()["disabled_reason"] == "disabled by a caller"

    stale = api.delete(f"/webhook-endpoints/{created['id']}", token=tenant["admin"], headers={"if-match": '"1"'})
    _problem(stale, 412)
    assert api.delete(f"/webhook-endpoints/{created['id']}", token=tenant["admin"]).status_code == 204
    live = api.get("/webhook-endpoints", token=tenant["admin"]).json()["items"]
    assert created["id"] not in [e["id"] for e in live]
    gone = api.get("/webhook-endpoints", token=tenant["admin"], params={"include_deleted": "true"}).json()["items"]
    assert created["id"] in [e["id"] for e in gone]
    _problem(api.patch(f"/webhook-endpoints/{created['id']}", token=tenant["admin"], json={"description": "x"}), 404)


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://93.184.215.14/hooks", "only https"),
    ("no scheme at all", "has no host"),
    (f"http://{PUBLIC}/hooks", "only https"),
    (f"https://user:secret@{PUBLIC}/hooks", "credentials"),
    ("https://10.1.2.3/hooks", "private"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://[::ffff:169.254.169.254]/latest", "link-local"),
    ("https://100.64.0.1/hooks", "not a public address"),
    ("https://224.0.0.1/hooks", "multicast"),
    ("https://internal.hooks.test/hooks", "private"),  # a name that resolves to 10.0.0.7
    ("https://nowhere.hooks.test/hooks", "does not resolve"),
])
def test_urls_refused_when_saved(api, tenant, dns, url, why):
    dns["internal.hooks.test"] = "10.0.0.7"
    body = _problem(api.post("/webhook-endpoints", token=tenant["admin"],
                             json={"url": url, "event_types": ["member.created"]}), 400, "/body/url")
    assert why in body["detail"]


def test_refusals_by_role_tenant_and_shape(api, tenant):
    body = {"url": f"https://{PUBLIC}/hooks", "event_types": ["member.created"]}
    _problem(api.post("/webhook-endpoints", token=tenant["manager"], json=body), 403)
    _problem(api.get("/webhook-endpoints", token=tenant["user"]), 403)
    _problem(api.post("/webhooks/trigger", token=tenant["manager"],
                      json={"event_type": "member.created", "payload": {}}), 403)
    _problem(api.post("/webhook-endpoints", token=tenant["admin"], json={**body, "event_types": []}), 400,
             "/body/event_types")
    _problem(api.post("/webhook-endpoints", token=tenant["admin"], json={**body, "event_types": ["Member Created"]}),
             400, "/body/event_types/0")
    _problem(api.post("/webhooks/trigger", token=tenant["admin"], json={"event_type": "*", "payload": {}}), 400,
             "/body/event_type")
    _problem(api.post("/webhooks/trigger", token=tenant["admin"],
                      json={"event_type": "big.event", "payload": {"blob": "x" * 70_000}}), 400, "/body/payload")
    mine = _endpoint(api, tenant, body["url"], ("never.sent",))
    _problem(api.patch(f"/webhook-endpoints/{mine['id']}", token=tenant["admin"], json={"url": None}), 400, "/body/url")
    _problem(api.patch(f"/webhook-endpoints/{mine['id']}", token=tenant["admin"],
                       json={"url": "https://192.168.1.1/x"}), 400, "/body/url")
    _problem(api.patch(f"/webhook-endpoints/{mine['id']}", token=tenant["other_admin"], json={"description": "x"}), 404)
    _problem(api.delete(f"/webhook-endpoints/{mine['id']}", token=tenant["other_admin"]), 404)
    others = api.get("/webhook-endpoints", token=tenant["other_admin"]).json()["items"]
    assert mine["id"] not in [e["id"] for e in others]


def test_a_delivery_verifies_with_the_standard_webhooks_library(api, tenant, receiver):
    path, elsewhere = f"/signed-{new_id()}", f"/other-{new_id()}"
    endpoint = _endpoint(api, tenant, receiver.url(path), ("member.created",))
    _endpoint(api, tenant, receiver.url(elsewhere), ("member.deleted",))
    event_id = f"evt_{new_id()}"
    answer = _trigger(api, tenant, event_id=event_id)
    assert answer["event_id"] == event_id
    assert [d["endpoint_id"] for d in answer["deliveries"]] == [endpoint["id"]]

    got = eventually(lambda: receiver.got(path))[0]
    verified = Webhook(endpoint["secret"]).verify(got["body"], got["headers"])
    assert verified["type"] == "member.created" and verified["data"] == {"member_id": "m-1", "tier": "elite"}
    assert got["headers"]["webhook-id"] == event_id
    with pytest.raises(Exception, match="signature"):
        Webhook(endpoint["secret"]).verify(got["body"].replace("elite", "basic"), got["headers"])
    webhook = eventually(lambda: (w := _webhook(tenant, answer["deliveries"][0]["id"])).status == "processed" and w)
    assert webhook.provider == "outbound" and webhook.attempts == 1 and webhook.processed_at
    assert [a.status_code for a in webhook.attempt_history] == [200]
    assert receiver.got(elsewhere) == []
    _problem(api.post("/webhooks/trigger", token=tenant["admin"],
                      json={"event_type": "member.created", "event_id": event_id, "payload": {}}), 409, "/body/event_id")


def test_500s_are_retried_with_backoff_until_delivered(api, tenant, receiver):
    path = f"/flaky-{new_id()}"
    receiver.answers[path] = [500, 503]
    _endpoint(api, tenant, receiver.url(path), ("member.flaky",))
    webhook_id = _trigger(api, tenant, "member.flaky")["deliveries"][0]["id"]
    eventually(lambda: receiver.got(path))
    first = eventually(lambda: (w := _webhook(tenant, webhook_id)).attempt_history and w)
    assert first.status == "received" and first.attempt_history[0].outcome == "retry"
    assert first.attempt_history[0].next_attempt_at <= first.attempt_history[0].at + delivery.BACKOFF_BASE_S * 1000
    for seen in (2, 3):
        clock.advance(delivery.BACKOFF_CAP_S)  # past any jittered delay: SQS releases the retry on this clock
        eventually(lambda n=seen: len(receiver.got(path)) == n)
    done = eventually(lambda: (w := _webhook(tenant, webhook_id)).status == "processed" and w)
    assert [a.status_code for a in done.attempt_history] == [500, 503, 200]
    assert len({r["headers"]["webhook-id"] for r in receiver.got(path)}) == 1  # one event, three attempts
    clock.advance(delivery.BACKOFF_CAP_S)
    assert len(receiver.got(path)) == 3


def test_410_disables_the_endpoint_and_other_4xx_fail_at_once(api, tenant, receiver):
    gone, bad = f"/gone-{new_id()}", f"/bad-{new_id()}"
    receiver.answers[gone], receiver.answers[bad] = [410], [400]
    goner = _endpoint(api, tenant, receiver.url(gone), ("order.paid",))
    _endpoint(api, tenant, receiver.url(bad), ("order.paid",))
    sent = {d["endpoint_id"]: d["id"] for d in _trigger(api, tenant, "order.paid")["deliveries"]}
    settled = [eventually(lambda i=i: (w := _webhook(tenant, i)).status == "failed" and w) for i in sent.values()]
    assert sorted(w.attempt_history[0].status_code for w in settled) == [400, 410]
    assert all(w.attempts == 1 for w in settled)
    listed = {e["id"]: e for e in api.get("/webhook-endpoints", token=tenant["admin"]).json()["items"]}
    assert listed[goner["id"]]["enabled"] is False and "410" in listed[goner["id"]]["disabled_reason"]
    again = _trigger(api, tenant, "order.paid")["deliveries"]
    assert goner["id"] not in [d["endpoint_id"] for d in again]
    eventually(lambda: len(receiver.got(bad)) == 2)  # the second event
    back = api.patch(f"/webhook-endpoints/{goner['id']}", token=tenant["admin"], json={"enabled": True})
    assert back.json()["enabled"] is True and back.json()["disabled_reason"] is None
    clock.advance(delivery.BACKOFF_CAP_S)
    eventually(lambda: not delivery_store.get(tenant["id"], again[0]["id"]).leased_until)
    assert len(receiver.got(bad)) == 2 and len(receiver.got(gone)) == 1  # neither failure was retried


def test_a_name_rebound_to_loopback_after_it_was_saved_is_refused(api, tenant, receiver, dns):
    path, host = f"/rebound-{new_id()}", f"rebind-{new_id().lower()}.hooks.test"
    dns[host] = PUBLIC  # public when saved...
    _endpoint(api, tenant, receiver.url(path, host=host, scheme="https"), ("member.rebound",))
    dns[host] = "127.0.0.1"  # ...and the receiver's loopback address when delivered
    webhook_id = _trigger(api, tenant, "member.rebound")["deliveries"][0]["id"]
    failed = eventually(lambda: (w := _webhook(tenant, webhook_id)).status == "failed" and w)
    assert "resolves to 127.0.0.1, a loopback address" in failed.error_message
    assert failed.attempts == 1 and failed.attempt_history[0].status_code is None
    assert receiver.got(path) == []


def test_the_signing_secret_is_stored_sealed(api, tenant):
    from shared.webhooks import endpoint_store

    created = _endpoint(api, tenant, f"https://{PUBLIC}/sealed", ("never.sent",))
    stored = endpoint_store.get(tenant["id"], created["id"]).signing_secret
    assert stored.startswith("kms1:") and created["secret"] not in stored
    assert json.dumps(api.get("/webhook-endpoints", token=tenant["admin"]).json()).find(created["secret"]) == -1


def test_a_duplicated_message_never_sends_an_attempt_twice(api, tenant, receiver):
    path = f"/twice-{new_id()}"
    endpoint = _endpoint(api, tenant, receiver.url(path), ("member.twice",))
    item = delivery_store.OutboundWebhook(id=new_id(), client_id=tenant["id"], event_type="member.twice",
                                          event_id=f"evt_{new_id()}", endpoint_id=endpoint["id"], payload="{}",
                                          status="received", attempts=0, attempt_history=[])
    delivery_store.record_event([item], None, "triggerWebhook")  # written, not queued: this test is the queue
    message = {"client_id": tenant["id"], "webhook_id": item.id, "attempt": 1}
    assert delivery.deliver(message) == "delivered"
    assert delivery.deliver(message) == "duplicate"
    assert len(receiver.got(path)) == 1 and _webhook(tenant, item.id).attempts == 1


def test_a_webhook_channel_message_is_delivered_to_the_subscribed_endpoints_once(api, local, tenant, receiver):
    def send(content):
        r = api.post("/communications", token=tenant["admin"], json={
            "channel": "webhook", "content": content, "metadata": {"order": "A-17"}})
        assert r.status_code == 202, r.text
        assert r.json()["provider"] == "other" and r.json()["to_number"] is None
        return r.json()

    def comm(comm_id):
        return api.get(f"/communications/{comm_id}", token=tenant["admin"]).json()

    # No endpoint takes communication.webhook yet: refused at once, with why.
    lonely = send("nobody listens")
    failed = eventually(lambda: (c := comm(lonely["id"]))["status"] == "failed" and c)
    assert failed["error_code"] == "no_endpoint" and failed["retry_count"] == 0

    path = f"/comms-{new_id()}"
    endpoint = _endpoint(api, tenant, receiver.url(path), ("communication.webhook",))
    sent = send("Your order shipped")
    got = eventually(lambda: receiver.got(path))
    delivered = Webhook(endpoint["secret"]).verify(got[0]["body"], got[0]["headers"])
    assert delivered["type"] == "communication.webhook" and delivered["data"]["communication_id"] == sent["id"]
    assert delivered["data"]["content"] == "Your order shipped" and delivered["data"]["metadata"] == {"order": "A-17"}
    done = eventually(lambda: (c := comm(sent["id"]))["status"] == "sent" and c)
    assert done["provider_id"] == f"comm_{sent['id']}" and got[0]["headers"]["webhook-id"] == f"comm_{sent['id']}"

    # The send queue delivering the message again records no second event and posts nothing more.
    sqs, url = local.aws.client("sqs"), local.aws.names["SendQueue"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"client_id": tenant["id"], "id": sent["id"], "attempt": 1,
                                                           "channel": "webhook"}))
    local.poller.settle("sqs")
    assert len(receiver.got(path)) == 1 and comm(sent["id"])["version"] == done["version"]
