"""What a new user met on the identity operations, each pinned by a test (issue "Foundation, second
pass" §6), and the list rules of the generic store (deleted items in their own partition)."""

from __future__ import annotations

import re

import pytest

from shared.ids import new_id
from tests.eventually import eventually

STRONG = "correct-horse-battery"


def _email(tag="r") -> str:
    return f"{tag}-{new_id().lower()}@regress.test"


@pytest.fixture
def sa(login):
    return login("super_admin")["access_token"]


def _create(api, token, **extra) -> dict:
    r = api.post("/users", token=token, json={"email": _email(), "role": "user", "password": STRONG, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_stale_if_match_on_bulk_updates_is_refused_per_item(api, admin, sa, local):
    token = admin["access_token"]
    user = _create(api, token)
    api.patch(f"/users/{user['id']}", token=token, json={"language": "de"})  # now at version 2
    by_item = api.patch("/users/bulk", token=token, json={"updates": [
        {"id": user["id"], "version": 1, "changes": {"language": "fr"}}]})
    assert by_item.json()["results"][0]["status"] == 412
    by_header = api.patch("/users/bulk", token=token, headers={"if-match": '"1"'},
                          json={"updates": [{"id": user["id"], "changes": {"language": "fr"}}]})
    assert by_header.json()["results"][0]["status"] == 412
    assert api.get(f"/users/{user['id']}", token=token).json()["language"] == "de"  # nothing applied
    current = api.patch("/users/bulk", token=token, headers={"if-match": '"2"'},
                        json={"updates": [{"id": user["id"], "changes": {"language": "fr"}}]})
    assert current.json()["results"][0] == {"id": user["id"], "status": 200, "version": 3, "error": None}

    cid = local.logins["client_id"]
    version = api.get(f"/clients/{cid}", token=token).json()["version"]
    stale = api.patch("/clients/bulk", token=token, headers={"if-match": f'"{version - 1}"'},
                      json={"updates": [{"id": cid, "changes": {"notes": "stale"}}]})
    assert stale.json()["results"][0]["status"] == 412
    assert api.get(f"/clients/{cid}", token=token).json()["version"] == version


def _mails_to(local, email) -> list[dict]:
    return [m for m in local.provider_fakes.outbox("sendgrid") if m.get("to") == email]


def _token_in(mail) -> str:
    return re.search(r"token=([\w.\-]+)", mail["body"]).group(1)


def test_an_email_change_voids_the_old_verification_link_and_sends_a_new_one(api, admin, local):
    token = admin["access_token"]
    user = _create(api, token)
    old_link = _token_in(eventually(lambda: (_mails_to(local, user["email"]) or [None])[-1]))
    new_email = _email("moved")
    changed = api.patch(f"/users/{user['id']}", token=token, json={"email": new_email})
    assert changed.status_code == 200 and changed.json()["email_verified"] is False
    assert api.post("/auth/verify-email", json={"token": old_link}).status_code == 400
    new_link = _token_in(eventually(lambda: (_mails_to(local, new_email) or [None])[-1]))
    assert api.post("/auth/verify-email", json={"token": new_link}).status_code == 200
    assert api.get(f"/users/{user['id']}", token=token).json()["email_verified"] is True


def test_a_deleted_clients_activity_is_not_found(api, sa):
    client = api.post("/clients", token=sa, json={"name": f"Closing {new_id()}"}).json()
    assert api.get(f"/clients/{client['id']}/activity", token=sa).status_code == 200
    assert api.delete(f"/clients/{client['id']}", token=sa).status_code == 204
    for sub in ("activity", "revenue", "usage"):
        r = api.get(f"/clients/{client['id']}/{sub}", token=sa)
        assert r.status_code == 404, (sub, r.text)


def test_two_factor_for_a_user_you_can_read_is_forbidden_not_missing(api, admin):
    other = _create(api, admin["access_token"])
    r = api.post(f"/users/{other['id']}/two-factor", token=admin["access_token"])
    assert r.status_code == 403 and r.json()["field"] == "/path/id"


def test_login_and_refresh_answer_the_user_in_get_user_by_ids_shape(api, admin):
    token = admin["access_token"]
    user = _create(api, token)
    pair = api.post("/auth/login", json={"email": user["email"], "password": STRONG}).json()
    got = api.get(f"/users/{user['id']}", token=token).json()
    assert set(pair["user"]) == set(got) and pair["user"]["first_name"] is None
    refreshed = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    assert set(refreshed["user"]) == set(got)


def test_a_login_leaves_the_profiles_etag_valid(api, admin):
    token = admin["access_token"]
    user = _create(api, token)
    etag = api.get(f"/users/{user['id']}", token=token).headers["etag"]
    assert api.post("/auth/login", json={"email": user["email"], "password": STRONG}).status_code == 200
    assert api.post("/auth/login", json={"email": user["email"], "password": "wrong-password"}).status_code == 401
    after = api.get(f"/users/{user['id']}", token=token)
    assert after.headers["etag"] == etag
    assert after.json()["login_count"] == 1 and after.json()["failed_login_attempts"] == 1
    assert api.patch(f"/users/{user['id']}", token=token, json={"language": "it"},
                     headers={"if-match": etag}).status_code == 200


def test_deleted_users_are_listed_only_when_asked_and_pages_merge_exactly(api, sa):
    client = api.post("/clients", token=sa, json={"name": f"Lists {new_id()}"}).json()
    params = {"client_id": client["id"]}
    made = [_create(api, sa, client_id=client["id"])["id"] for _ in range(7)]
    for uid in made[1:6:2]:  # three of seven deleted, interleaved with the live ones
        assert api.delete(f"/users/{uid}", token=sa, params=params).status_code == 204

    def walk(**query) -> list[str]:
        seen, cursor = [], None
        while True:
            page = api.get("/users", token=sa, params={**params, **query, "limit": 2,
                                                       **({"cursor": cursor} if cursor else {})}).json()
            seen += [u["id"] for u in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                return seen

    live = [uid for uid in reversed(made) if uid not in made[1:6:2]]
    assert walk() == live  # newest first, deleted ones never read
    assert walk(include_deleted="true") == list(reversed(made))  # merged in order, none skipped or repeated
    by_role = api.get("/users/by-role/user", token=sa, params={**params, "include_deleted": "true"}).json()
    assert [u["id"] for u in by_role["items"]] == list(reversed(made))
