"""Every user operation through the gateway: happy paths and each refusal."""

from __future__ import annotations

import re
import threading

import pyotp
import pytest

from shared import clock
from shared.ids import new_id
from tests.eventually import eventually

STRONG = "correct-horse-battery"


def _email(tag="u") -> str:
    return f"{tag}-{new_id().lower()}@demo.echelonx.local"


@pytest.fixture
def new_user(api, admin):
    """createUser through the API; returns (user, password)."""

    def make(role="user", **extra):
        body = {"email": _email(role), "role": role, "password": STRONG, "first_name": "Zoë", "last_name": "Ångström",
                **extra}
        r = api.post("/users", token=admin["access_token"], json=body)
        assert r.status_code == 201, r.text
        return r.json()

    return make


def _login(api, email, password=STRONG, **extra):
    return api.post("/auth/login", json={"email": email, "password": password, **extra})


def test_create_get_update_delete(api, admin, new_user):
    user = new_user(phone="(415) 555-2671")
    assert user["phone"] == "+14155552671"  # E.164 in the tenant's default country
    assert user["client_id"] == admin["user"]["client_id"] and user["version"] == 1
    got = api.get(f"/users/{user['id']}", token=admin["access_token"])
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    patched = api.patch(f"/users/{user['id']}", token=admin["access_token"], json={"status": "inactive"},
                        headers={"if-match": '"1"'})
    assert patched.status_code == 200 and patched.json()["status"] == "inactive" and patched.json()["version"] == 2
    by_email = api.get("/users/by-email", token=admin["access_token"], params={"email": user["email"].upper()})
    assert by_email.status_code == 200 and by_email.json()["id"] == user["id"]
    assert api.delete(f"/users/{user['id']}", token=admin["access_token"]).status_code == 204
    assert api.get(f"/users/{user['id']}", token=admin["access_token"]).status_code == 404
    # The email is free again.
    again = api.post("/users", token=admin["access_token"], json={"email": user["email"], "role": "user"})
    assert again.status_code == 201


def test_refusals_name_the_field(api, admin, new_user):
    user = new_user()
    cases = [
        ({"email": "nope", "role": "user"}, "/body/email"),
        ({"email": "\u00a8\u0086s@&\u00e9:\u008e?.O*", "role": "user"}, "/body/email"),  # once a 500 in SendGrid's SDK
        ({"email": _email(), "role": "boss"}, "/body/role"),
        ({"email": _email(), "role": "user", "phone": "12"}, "/body/phone"),
        ({"email": _email(), "role": "user", "permissions": ["members:fly"]}, "/body/permissions/0"),
        ({"email": _email(), "role": "user", "surprise": 1}, "/body/surprise"),
    ]
    for body, field in cases:
        r = api.post("/users", token=admin["access_token"], json=body)
        assert r.status_code == 400 and r.json()["field"] == field, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    half_pair = '{"email": "\\ud83cx@demo.echelonx.local", "role": "user"}'  # JSON for half a UTF-16 pair
    r = api.post("/users", token=admin["access_token"], data=half_pair, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["field"] == "/body"
    dup = api.post("/users", token=admin["access_token"], json={"email": user["email"].upper(), "role": "user"})
    assert dup.status_code == 409 and dup.json()["field"] == "/body/email"
    stale = api.patch(f"/users/{user['id']}", token=admin["access_token"], json={"language": "de"},
                      headers={"if-match": '"99"'})
    assert stale.status_code == 412
    assert api.get(f"/users/{new_id()}", token=admin["access_token"]).status_code == 404
    for malformed in ("01JNOSUCHUSER0000000000000", "nope", user["id"] + "0", "8" + user["id"][1:]):
        assert api.get(f"/users/{malformed}", token=admin["access_token"]).json()["field"] == "/path/id", malformed
    assert api.get("/users", token=admin["access_token"], params={"limit": 0}).json()["field"] == "/query/limit"
    assert api.get("/users/by-role/boss", token=admin["access_token"]).json()["field"] == "/path/role"


def test_admin_limits(api, admin, new_user):
    r = api.post("/users", token=admin["access_token"], json={"email": _email(), "role": "super_admin"})
    assert r.status_code == 403
    user = new_user()
    r = api.patch(f"/users/{user['id']}", token=admin["access_token"], json={"role": "super_admin"})
    assert r.status_code == 403
    assert api.delete(f"/users/{admin['user']['id']}", token=admin["access_token"]).status_code == 409


def test_user_role_reads_and_edits_only_itself(api, admin, new_user):
    me, other = new_user(), new_user()
    token = _login(api, me["email"]).json()["access_token"]
    assert api.get(f"/users/{me['id']}", token=token).status_code == 200
    assert api.get(f"/users/{other['id']}", token=token).status_code == 404
    assert api.get("/users", token=token).status_code == 403
    assert api.post("/users", token=token, json={"email": _email(), "role": "user"}).status_code == 403
    ok = api.patch(f"/users/{me['id']}", token=token, json={"timezone": "Asia/Tokyo"})
    assert ok.status_code == 200 and ok.json()["timezone"] == "Asia/Tokyo"
    assert api.patch(f"/users/{me['id']}", token=token, json={"role": "admin"}).status_code == 403
    assert api.patch(f"/users/{other['id']}", token=token, json={"timezone": "UTC"}).status_code == 404
    # Own password: the current one is required.
    bad = api.patch(f"/users/{me['id']}", token=token, json={"password": "another-password-1"})
    assert bad.status_code == 400 and bad.json()["field"] == "/body/current_password"
    good = api.patch(f"/users/{me['id']}", token=token,
                     json={"password": "another-password-1", "current_password": STRONG})
    assert good.status_code == 200
    assert _login(api, me["email"], "another-password-1").status_code == 200


def test_the_audit_log_shows_a_secret_changed_never_its_value(api, admin, new_user):
    me = new_user()
    token = _login(api, me["email"]).json()["access_token"]
    changed = api.patch(f"/users/{me['id']}", token=token, json={"password": "another-password-2", "current_password": STRONG})
    assert changed.status_code == 200, changed.text
    mine = api.get(f"/users/{me['id']}/activity", token=admin["access_token"]).json()["items"]
    [update] = [a for a in mine if a["operation"] == "updateUser" and a["entity_id"] == me["id"]]
    assert update["changes"] == {"password_hash": {"before": "[redacted]", "after": "[redacted]"}}
    by_admin = api.get(f"/users/{admin['user']['id']}/activity", token=admin["access_token"],
                       params={"limit": 200}).json()["items"]
    [created] = [a for a in by_admin if a["operation"] == "createUser" and a["entity_id"] == me["id"]]
    assert created["changes"]["password_hash"] == {"before": None, "after": "[redacted]"}
    assert created["changes"]["email_verification_token"] == {"before": None, "after": "[redacted]"}
    assert created["changes"]["email"] == {"before": None, "after": me["email"]}  # what is no secret is shown


def test_concurrent_patches(api, admin, new_user):
    user = new_user()
    url, token = f"/users/{user['id']}", admin["access_token"]
    answers = []

    def patch(body, headers):
        answers.append(api.patch(url, token=token, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=patch, args=({"language": lang}, {"if-match": '"1"'})) for lang in ("de", "fr")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(answers) == [200, 412]
    answers.clear()
    threads = [threading.Thread(target=patch, args=(body, {})) for body in ({"timezone": "Asia/Tokyo"}, {"first_name": "Kai"})]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert answers == [200, 200]
    final = api.get(url, token=token).json()
    assert final["timezone"] == "Asia/Tokyo" and final["first_name"] == "Kai"


def test_lists_search_stats_activity_permissions(api, admin, new_user):
    token = admin["access_token"]
    before = api.get("/users/stats", token=token).json()
    made = [new_user(role="manager", first_name="Émilie", last_name=f"Durand{i}") for i in range(3)]
    page1 = api.get("/users", token=token, params={"limit": 2})
    assert page1.status_code == 200 and len(page1.json()["items"]) == 2 and page1.json()["next_cursor"]
    page2 = api.get("/users", token=token, params={"limit": 2, "cursor": page1.json()["next_cursor"]})
    assert not {u["id"] for u in page1.json()["items"]} & {u["id"] for u in page2.json()["items"]}
    managers = api.get("/users/by-role/manager", token=token).json()["items"]
    assert {m["id"] for m in made} <= {m["id"] for m in managers}
    assert all(m["role"] == "manager" for m in managers)

    def found():
        hits = api.get("/users/search", token=token, params={"q": "emil DUR"}).json()["items"]
        return {m["id"] for m in made} <= {h["id"] for h in hits}

    eventually(found)  # accents and case ignored; search tokens come through the stream

    def counted():
        after = api.get("/users/stats", token=token).json()
        return after["by_role"].get("manager", 0) == before["by_role"].get("manager", 0) + 3 and after

    after = eventually(counted)
    assert after["total"] >= before["total"] + 3
    activity = api.get(f"/users/{admin['user']['id']}/activity", token=token).json()["items"]
    assert any(a["operation"] == "createUser" and a["entity_id"] == made[-1]["id"] for a in activity)
    assert all("password_hash" not in a["changes"] or a["changes"]["password_hash"]["after"] == "[redacted]"
               for a in activity)
    perms = api.get(f"/users/{made[0]['id']}/permissions", token=token).json()
    assert "campaigns:launch" in perms["effective"] and "users:write" not in perms["effective"]


def test_bulk_update_reports_each_item(api, admin, new_user):
    a, b = new_user(), new_user()
    r = api.patch("/users/bulk", token=admin["access_token"], json={"updates": [
        {"id": a["id"], "changes": {"language": "es"}},
        {"id": new_id(), "changes": {"language": "es"}},  # no such user
        {"id": b["id"], "changes": {"role": "super_admin"}},
    ]})
    assert r.status_code == 200
    assert [x["status"] for x in r.json()["results"]] == [200, 404, 403]
    malformed = api.patch("/users/bulk", token=admin["access_token"], json={"updates": [
        {"id": "not-an-id", "changes": {"language": "es"}}]})
    assert malformed.status_code == 400 and malformed.json()["field"] == "/body/updates/0/id"  # never reaches a key
    assert r.json()["succeeded"] == 1 and r.json()["failed"] == 2


def _mail_to(local, email):
    mails = [m for m in local.provider_fakes.outbox("sendgrid") if m.get("to") == email]
    return mails[-1] if mails else None


def _token_in(mail) -> str:
    return re.search(r"token=([\w.\-]+)", mail["body"]).group(1)


def test_account_emails_go_through_the_send_pipeline_and_an_outage_never_touches_the_request(api, local, admin):
    """Issue 13: a verification email is a transactional message on the send queue. SendGrid failing
    leaves createUser's answer alone; the sender settles the unconfirmed attempt and sends once more.
    The link is sealed: the communication a tenant admin can list says what it is, the link withheld."""
    local.provider_fakes.inject_fault("sendgrid", "500")  # the first attempt: an outage (it may have sent)
    email = _email("outage")
    r = api.post("/users", token=admin["access_token"], json={"email": email, "role": "user", "password": STRONG})
    assert r.status_code == 201, r.text
    local.poller.settle("sqs")
    assert _mail_to(local, email) is None  # refused, so nothing went out yet
    clock.advance(601)  # SendGrid has no lookup: after its window the unconfirmed email goes once more
    mail = eventually(lambda: _mail_to(local, email))
    assert "token=" in mail["body"]
    listed = api.get("/communications", token=admin["access_token"], params={"limit": 100}).json()
    assert not [c for c in listed["items"] if c.get("to_email") == email]  # the platform's mail, not the tenant's
    from shared.communications import store

    stored = [c for c in store.list_all("P", keep=None, limit=100, cursor=None)[0] if c.to_email == email]
    assert [c.status for c in stored] == ["sent"] and stored[0].metadata["client_id"] == r.json()["client_id"]
    assert "withheld" in stored[0].content and stored[0].sealed_content.startswith("kms1:")
    assert "token=" not in str(stored[0].attribute_values)


def test_password_reset_and_email_verification(api, local, new_user):
    user = new_user()
    verify = _token_in(eventually(lambda: _mail_to(local, user["email"])))
    assert api.post("/auth/verify-email", json={"token": verify}).status_code == 200
    assert api.post("/auth/verify-email", json={"token": verify}).status_code == 400  # single use
    unknown = api.post("/auth/password-reset", json={"email": _email("ghost")})
    known = api.post("/auth/password-reset", json={"email": user["email"]})
    assert unknown.status_code == known.status_code == 202 and unknown.json() == known.json()
    session = _login(api, user["email"]).json()
    mail = eventually(lambda: (m := _mail_to(local, user["email"])) and "Reset" in m["subject"] and m)
    token = _token_in(mail)
    assert STRONG not in str(local.provider_fakes.outbox())
    r = api.post("/auth/password-reset/confirm", json={"token": token, "new_password": "fresh-password-22"})
    assert r.status_code == 200
    assert api.post("/auth/password-reset/confirm", json={"token": token, "new_password": "x" * 12}).status_code == 400
    assert _login(api, user["email"]).status_code == 401
    assert _login(api, user["email"], "fresh-password-22").status_code == 200
    # Every earlier session ended.
    assert api.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401


def test_two_factor(api, new_user):
    user = new_user()
    token = _login(api, user["email"]).json()["access_token"]
    setup = api.post(f"/users/{user['id']}/two-factor", token=token)
    assert setup.status_code == 200
    totp = pyotp.TOTP(setup.json()["secret"])
    clock.freeze()
    wrong = api.post(f"/users/{user['id']}/two-factor/confirm", token=token, json={"code": "000000"})
    assert wrong.status_code == 400 and wrong.json()["field"] == "/body/code"
    ok = api.post(f"/users/{user['id']}/two-factor/confirm", token=token, json={"code": totp.at(clock.now_s())})
    assert ok.status_code == 200 and ok.json()["two_factor_enabled"] is True
    assert _login(api, user["email"]).json()["field"] == "/body/totp_code"
    clock.advance(30)
    code = totp.at(clock.now_s())
    assert _login(api, user["email"], totp_code=code).status_code == 200
    assert _login(api, user["email"], totp_code=code).status_code == 401  # a used code is refused
    clock.advance(30)
    drifted = totp.at(clock.now_s() - 30)  # one step of drift is accepted, if not used yet
    assert _login(api, user["email"], totp_code=totp.at(clock.now_s() + 30)).status_code == 200
    assert _login(api, user["email"], totp_code=drifted).status_code == 401  # older than the last used
