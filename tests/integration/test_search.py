"""searchUsers and searchClients through the gateway: a prefix of any length from one character,
several words each a prefix, every word of an item with many long words findable by its first
letters, pages that neither skip nor repeat, and no match across tenants. Tokens come through the
stream, so answers are awaited."""

from __future__ import annotations

import random

import pytest

from shared.ids import new_id
from tests.eventually import eventually

STRONG = "correct-horse-battery"
_rng = random.Random()


def _word(length: int = 12) -> str:
    """A word no other test writes (so a short prefix of it is selective)."""
    return "".join(_rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(length))


@pytest.fixture(scope="module")
def sa(api, local):
    creds = local.logins["super_admin"]
    return api.post("/auth/login", json={"email": creds["email"], "password": creds["password"]}).json()["access_token"]


@pytest.fixture
def admin(login):
    return login("admin")["access_token"]


def _user(api, token, client_id=None, **names) -> dict:
    body = {"email": f"s-{new_id().lower()}@search.example", "role": "user", "password": STRONG, **names}
    if client_id:
        body["client_id"] = client_id
    r = api.post("/users", token=token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _all_pages(api, path, token, q, limit=200, **params) -> list[str]:
    """Every hit of a search, following next_cursor to the end."""
    ids, cursor = [], None
    for _ in range(200):
        r = api.get(path, token=token, params={"q": q, "limit": limit, **params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        ids += [i["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the search never ended")


def _finds(api, path, token, q, wanted: set[str], **params) -> bool:
    return wanted <= set(_all_pages(api, path, token, q, **params))


def test_a_one_letter_prefix_and_several_words_each_a_prefix(api, admin):
    first, last = _word().capitalize(), _word().capitalize()
    user = _user(api, admin, first_name=f"Ярослава {first}", last_name=f"{last}-Øvergaard")
    eventually(lambda: _finds(api, "/users/search", admin, "я", {user["id"]}))  # one letter, any script
    assert _finds(api, "/users/search", admin, first[0], {user["id"]})  # one Latin letter: followed to the end
    for q in (f"{first[:2]} {last[:3]}", f"{last[:4].upper()} ЯРО", "overg " + first, f"{first} {last}"):
        assert user["id"] in _all_pages(api, "/users/search", admin, q), q
    assert user["id"] not in _all_pages(api, "/users/search", admin, f"{first[:3]} {_word()[:3]}")  # every word counts


def test_every_word_of_many_long_words_is_found_by_its_first_letters(api, admin, sa):
    words = [_word(15) for _ in range(12)]  # far beyond the 45 prefixes an item used to keep
    user = _user(api, admin, first_name=" ".join(words[:6]), last_name=" ".join(words[6:]))
    client_words = [_word(15) for _ in range(12)]
    r = api.post("/clients", token=sa, json={"name": " ".join(client_words), "subscription_tier": "basic"})
    assert r.status_code == 201, r.text
    client = r.json()
    eventually(lambda: _finds(api, "/users/search", admin, words[-1][:3], {user["id"]}))
    for word in words:
        for prefix in (word[:3], word[:9], word):
            assert user["id"] in _all_pages(api, "/users/search", admin, prefix), prefix
    eventually(lambda: _finds(api, "/clients/search", sa, client_words[-1][:3], {client["id"]}))
    for word in client_words:
        assert client["id"] in _all_pages(api, "/clients/search", sa, word[:3]), word


def test_pages_neither_skip_nor_repeat(api, admin):
    stem = _word(5)
    # Two of them have two words starting with the stem: each has two tokens, and is answered once.
    made = [_user(api, admin, first_name=f"{stem}{_word(4)}", last_name=f"{stem}{_word(4)}" if i % 2 else _word())
            for i in range(5)]
    wanted = {u["id"] for u in made}
    eventually(lambda: _finds(api, "/users/search", admin, stem, wanted))
    for limit in (1, 2, 3):
        hits = _all_pages(api, "/users/search", admin, stem, limit=limit)
        assert sorted(hits) == sorted(wanted), limit
    deleted = made[0]["id"]
    assert api.delete(f"/users/{deleted}", token=admin).status_code == 204
    assert deleted not in _all_pages(api, "/users/search", admin, stem)  # at once, before the stream moves


def test_no_match_across_tenants(api, admin, sa):
    name = _word().capitalize()
    mine = _user(api, admin, first_name=name)
    r = api.post("/clients", token=sa, json={"name": f"Other {new_id()}", "subscription_tier": "basic"})
    other_tenant = r.json()["id"]
    theirs = _user(api, sa, client_id=other_tenant, first_name=name)
    eventually(lambda: _finds(api, "/users/search", sa, name[:2], {theirs["id"]}, client_id=other_tenant))
    eventually(lambda: _finds(api, "/users/search", admin, name[:2], {mine["id"]}))
    assert theirs["id"] not in _all_pages(api, "/users/search", admin, name[:2])
    assert mine["id"] not in _all_pages(api, "/users/search", sa, name[:2], client_id=other_tenant)


def test_cursors_and_queries_a_search_cannot_use_are_400(api, admin):
    from shared.core.cursor import encode_cursor

    tenant = api.get("/users/stats", token=admin).json()["client_id"]
    for q, cursor in (("ab", encode_cursor({"PK": f"T#{tenant}#SEARCH#USER#x", "SK": "x#1"})),  # another partition
                      ("ab", encode_cursor({"PK": f"T#{tenant}#SEARCH#USER#a", "SK": "zz#1"})),  # outside the prefix
                      ("ab", "not-a-cursor")):
        r = api.get("/users/search", token=admin, params={"q": q, "cursor": cursor})
        assert r.status_code == 400 and r.json()["field"] == "/query/cursor", r.text
    r = api.get("/users/search", token=admin, params={"q": "!?"})
    assert r.status_code == 400 and r.json()["field"] == "/query/q", r.text
