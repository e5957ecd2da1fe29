"""The settings entity (entities.md §11) through the gateway with real JWTs: every one of its 11
operations, the scopes and what is in effect where, each key validated against its declared type,
the refusals (400 naming the field, 403 wrong role, 404 another tenant, 412 stale If-Match), bulk and
reset with their audit entries, the export, and `effective` as the other domains call it."""

from __future__ import annotations

import json

import pytest

from shared.ids import new_id
from tests.exports import finished

PASSWORD = "correct-horse-battery"
TZ = "general.time_zone"
QUIET = "messaging.quiet_hours"


def _login(api, email, password=PASSWORD):
    return api.post("/auth/login", json={"email": email, "password": password})


@pytest.fixture(scope="module")
def sa(api, local):
    creds = local.logins["super_admin"]
    return _login(api, creds["email"], creds["password"]).json()["access_token"]


def _tenant(api, sa) -> dict:
    r = api.post("/clients", token=sa, json={"name": f"Settings Co {new_id()}", "subscription_tier": "basic"})
    assert r.status_code == 201, r.text
    return r.json()


def _staff(api, sa, client_id, role) -> tuple[dict, str]:
    email = f"{role}-{new_id().lower()}@settings.example"
    r = api.post("/users", token=sa, json={"email": email, "role": role, "password": PASSWORD, "client_id": client_id})
    assert r.status_code == 201, r.text
    return r.json(), _login(api, email).json()["access_token"]


@pytest.fixture(scope="module")
def t(api, sa):
    """A tenant with an admin, a manager and a user; another tenant with its admin and a user."""
    client, other = _tenant(api, sa), _tenant(api, sa)
    people = {role: _staff(api, sa, client["id"], role) for role in ("admin", "manager", "user")}
    people["other_admin"] = _staff(api, sa, other["id"], "admin")
    people["other_user"] = _staff(api, sa, other["id"], "user")
    return {"client": client["id"], "other": other["id"], "users": {k: v[0] for k, v in people.items()},
            **{k: v[1] for k, v in people.items()}}


def _problem(r, status, field=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.text
    if field:
        assert r.json()["field"] == field, r.json()
    return r.json()


def _set(api, token, key, value, **extra):
    headers = extra.pop("headers", {})
    return api.put("/settings", token=token, json={"key": key, "value": value, **extra}, headers=headers)


def _effective(api, token, key, **params):
    r = api.get("/settings/by-key", token=token, params={"key": key, **params})
    assert r.status_code == 200, r.text
    return r.json()


# --- what is in effect, scope by scope ------------------------------------------------------------------
def test_a_value_comes_from_the_nearest_scope_that_sets_it(api, t):
    admin, user = t["admin"], t["user"]
    # Nothing set: the declared default, typed as declared.
    got = _effective(api, user, TZ)
    assert (got["value"], got["source"], got["type"], got["version"]) == ("UTC", "default", "user", None)
    assert got["declared"] and got["scopes"] == ["system", "client", "user"] and got["default"] == "UTC"
    made = _set(api, admin, TZ, "America/Chicago", description="head office")
    assert made.status_code == 200 and made.headers["etag"] == '"1"', made.text
    assert made.json()["category"] == "general" and made.json()["client_id"] == t["client"]
    got = _effective(api, user, TZ)
    assert (got["value"], got["source"], got["version"]) == ("America/Chicago", "client", None)
    # The user's own override wins for that user only.
    mine = _set(api, user, TZ, "Europe/Rome", type="user")
    assert mine.status_code == 200 and mine.json()["user_id"] == t["users"]["user"]["id"], mine.text
    got = _effective(api, user, TZ)
    assert (got["value"], got["source"], got["version"]) == ("Europe/Rome", "user", 1)
    assert _effective(api, t["manager"], TZ)["value"] == "America/Chicago"
    at_client = _effective(api, admin, TZ, type="client")
    assert at_client["source"] == "client" and at_client["version"] == 1 and at_client["description"] == "head office"
    # Removing an override: the key inherits again.
    assert api.delete("/settings/by-key", token=user, params={"key": TZ, "type": "user"}).status_code == 204
    assert _effective(api, user, TZ)["source"] == "client"
    _problem(api.delete("/settings/by-key", token=user, params={"key": TZ, "type": "user"}), 404)


def test_effective_reads_every_scope_in_one_call(api, t):
    from shared.local.bench_common import counting
    from shared.settings import catalogue, service

    assert _set(api, t["admin"], QUIET, {"sms": {"start": "22:00", "end": "07:00"}}).status_code == 200
    with counting() as tally:
        values = service.effective_values(t["client"], [QUIET, "messaging.send_rates", TZ],
                                          user_id=t["users"]["user"]["id"])
    assert dict(tally.calls) == {"BatchGetItem": 1}
    quiet = values[QUIET]
    assert isinstance(quiet, catalogue.QuietHours) and (quiet.sms.start, quiet.sms.end) == ("22:00", "07:00")
    assert quiet.voice is None  # the tenant's value replaces the default whole, not channel by channel
    assert values["messaging.send_rates"] == catalogue.SendRates() and values[TZ] == "America/Chicago"
    assert service.effective(t["other"], QUIET) == catalogue.DECLARED[QUIET].default


def test_the_scope_views(api, t, sa):
    admin = t["admin"]
    assert _set(api, admin, "custom.crm_region", {"region": "emea", "weight": 2}).status_code == 200
    client = api.get("/settings/client", token=t["manager"]).json()
    keys = [s["key"] for s in client["settings"]]
    assert keys == sorted(keys) and "custom.crm_region" in keys and "sms.default_sender" in keys
    by_key = {s["key"]: s for s in client["settings"]}
    assert by_key["sms.default_sender"]["value"] is None and by_key["sms.default_sender"]["source"] == "default"
    assert by_key["custom.crm_region"]["value"] == {"region": "emea", "weight": 2}
    assert not by_key["custom.crm_region"]["declared"]
    # A user's view: the keys a user may set (its own time zone) and the custom ones along the chain.
    mine = api.get("/settings/user", token=t["user"]).json()
    assert mine["type"] == "user" and [s["key"] for s in mine["settings"]] == ["custom.crm_region", TZ]
    # One category, as it applies to the caller.
    messaging = api.get("/settings/by-category/messaging", token=admin, params={"type": "client"}).json()
    assert {s["key"] for s in messaging["settings"]} == {
        QUIET, "messaging.send_rates", "messaging.tenant_send_rate", "messaging.retry_policy",
        "messaging.frequency_caps", "messaging.senders"}
    system = api.get("/settings/system", token=admin).json()
    assert system["type"] == "system" and all(s["source"] in ("system", "default") for s in system["settings"])
    _problem(api.get("/settings/by-category/weather", token=admin), 400, "/path/category")


def test_getsettings_lists_a_scopes_overrides_by_category_a_page_at_a_time(api, sa):
    client = _tenant(api, sa)["id"]
    admin = _staff(api, sa, client, "admin")[1]
    for name in ("a", "b", "c"):
        assert _set(api, admin, f"custom.{name}", name).status_code == 200
    assert _set(api, admin, "sms.help_text", "Help: call 555-0100. Reply STOP to opt out.").status_code == 200
    first = api.get("/settings", token=admin, params={"limit": 2}).json()
    assert [s["key"] for s in first["items"]] == ["custom.a", "custom.b"] and first["next_cursor"]
    rest = api.get("/settings", token=admin, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [s["key"] for s in rest["items"]] == ["custom.c", "sms.help_text"]
    sms = api.get("/settings", token=admin, params={"category": "sms"}).json()
    assert [s["key"] for s in sms["items"]] == ["sms.help_text"] and sms["next_cursor"] is None
    assert api.get("/settings", token=admin, params={"type": "user"}).json()["items"] == []


# --- every known key is held to its type --------------------------------------------------------------
@pytest.mark.parametrize(("key", "value", "field"), [
    (QUIET, {"sms": {"start": "25:00", "end": "07:00"}}, "/body/value/sms/start"),
    (QUIET, {"sms": {"start": "21:00", "end": "21:00"}}, "/body/value/sms"),
    (QUIET, {"fax": {"start": "21:00", "end": "07:00"}}, "/body/value/fax"),
    (TZ, "Mars/Olympus_Mons", "/body/value"),
    (TZ, 5, "/body/value"),
    ("messaging.retry_policy", {"max_attempts": 3, "backoff_base_seconds": 10, "backoff_cap_seconds": 901},
     "/body/value/backoff_cap_seconds"),
    ("messaging.retry_policy", {"backoff_base_seconds": 60, "backoff_cap_seconds": 30}, "/body/value"),
    ("messaging.send_rates", {"long_code": 0}, "/body/value/long_code"),
    ("messaging.tenant_send_rate", "50", "/body/value"),
    ("messaging.frequency_caps", {"sms": {"per_day": 5, "per_week": 2}}, "/body/value/sms"),
    ("messaging.frequency_caps", {"over_cap": "drop"}, "/body/value/over_cap"),
    ("messaging.senders", [{"address": "+18005550100", "sender_class": "fax"}], "/body/value/0/sender_class"),
    ("messaging.senders", [{"address": "ops@example.com", "sender_class": "toll_free"}], "/body/value/0"),
    ("messaging.senders", [{"address": "+18005550100", "sender_class": "toll_free", "rate": 0}],
     "/body/value/0/rate"),
    ("messaging.senders", [{"address": "+18005550100", "sender_class": "toll_free"}] * 2, "/body/value"),
    ("sms.default_sender", "+1555", "/body/value"),
    ("sms.default_sender", "MG123", "/body/value"),
    ("email.default_from", "not-an-address", "/body/value"),
    ("sms.help_text", "x" * 161, "/body/value"),
    ("sms.help_text", "Aide : répondez STOP ✅" + "é" * 50, "/body/value"),  # UCS-2: 70 characters a segment
    ("messaging.quiet_hour", {}, "/body/key"),
    ("weather.today", "sunny", "/body/key"),
    ("custom.api_token", "abc", "/body/key"),
    ("custom.note", "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "/body/value"),
    ("custom.big", "x" * 5000, "/body/value"),
    ("custom.none", None, "/body/value"),
])
def test_a_bad_value_of_a_known_key_names_the_field(api, t, key, value, field):
    problem = _problem(_set(api, t["admin"], key, value), 400, field)
    if key == "messaging.quiet_hour":
        assert "did you mean messaging.quiet_hours?" in problem["detail"]


def test_values_are_stored_as_their_type_has_them(api, t):
    sender = _set(api, t["admin"], "sms.default_sender", "+1 (415) 555-2671")
    assert sender.status_code == 200 and sender.json()["value"] == "+14155552671", sender.text
    sid = "MG" + "0123456789abcdef" * 2
    assert _set(api, t["admin"], "sms.default_sender", sid).json()["value"] == sid
    caps = _set(api, t["admin"], "messaging.frequency_caps", {"sms": {"per_day": 2}}).json()["value"]
    assert caps["sms"] == {"per_day": 2, "per_week": None} and caps["email"] == {"per_day": None, "per_week": None}


def test_a_key_is_set_only_in_the_scopes_it_is_declared_for(api, t):
    _problem(_set(api, t["user"], QUIET, {}, type="user"), 400, "/body/type")
    _problem(_set(api, t["admin"], TZ, "UTC", type="client", user_id=t["users"]["user"]["id"]), 400, "/body/user_id")


# --- rights, tenants and versions --------------------------------------------------------------------------
def test_each_role_touches_only_its_scopes(api, t, sa):
    _problem(_set(api, t["manager"], TZ, "UTC"), 403)  # managers read the client scope, never write it
    _problem(_set(api, t["admin"], TZ, "UTC", type="system"), 403)  # system writes: super_admin only
    _problem(api.get("/settings/system", token=t["manager"]), 403)
    _problem(api.get("/settings/client", token=t["user"]), 403)
    _problem(api.get("/settings", token=t["user"]), 403)  # the client scope, by default
    _problem(api.post("/settings/export", token=t["manager"]), 403)
    # A user's own scope is theirs: a peer's answers 404 to a user, 403 to a manager changing it.
    peer = t["users"]["manager"]["id"]
    _problem(api.get("/settings/user", token=t["user"], params={"user_id": peer}), 404)
    _problem(_set(api, t["manager"], TZ, "UTC", type="user", user_id=t["users"]["user"]["id"]), 403)
    assert _set(api, t["admin"], TZ, "Asia/Tokyo", type="user", user_id=peer).status_code == 200
    # super_admin writes the system scope; it acts in a tenant only when it names one.
    key = f"custom.platform_{new_id().lower()}"
    assert _set(api, sa, key, True, type="system").status_code == 200
    assert _effective(api, t["user"], key)["source"] == "system"
    _problem(_set(api, sa, TZ, "UTC"), 400, "/query/client_id")
    assert api.post("/settings/reset", token=sa, json={"type": "system", "keys": [key]}).json()["removed"] == [key]


def test_another_tenants_settings_are_not_there(api, t):
    stranger = t["users"]["other_user"]["id"]
    _problem(api.get("/settings/user", token=t["admin"], params={"user_id": stranger}), 404)
    _problem(_set(api, t["admin"], TZ, "UTC", type="user", user_id=stranger), 404)
    _problem(api.get("/settings/client", token=t["admin"], params={"client_id": t["other"]}), 404)
    _problem(api.get("/settings/by-key", token=t["other_admin"], params={"key": TZ, "type": "user",
                                                                       "user_id": t["users"]["user"]["id"]}), 404)


def test_a_stale_if_match_is_refused(api, t):
    key = f"custom.v_{new_id().lower()}"
    _problem(_set(api, t["admin"], key, 1, headers={"if-match": '"1"'}), 412, "/headers/if-match")  # not set yet
    assert _set(api, t["admin"], key, 1).headers["etag"] == '"1"'
    assert _set(api, t["admin"], key, 2, headers={"if-match": '"1"'}).headers["etag"] == '"2"'
    _problem(_set(api, t["admin"], key, 3, headers={"if-match": '"1"'}), 412, "/headers/if-match")
    _problem(api.delete("/settings/by-key", token=t["admin"], params={"key": key}, headers={"if-match": '"1"'}),
             412, "/headers/if-match")
    assert api.delete("/settings/by-key", token=t["admin"], params={"key": key},
                      headers={"if-match": '"2"'}).status_code == 204


# --- bulk, reset, audit -------------------------------------------------------------------------------------
def test_bulk_answers_per_item_and_reset_removes_overrides_audited(api, sa):
    client = _tenant(api, sa)["id"]
    admin = _staff(api, sa, client, "admin")[1]
    assert _set(api, admin, "custom.stale", 1).status_code == 200
    r = api.patch("/settings/bulk", token=admin, json={"updates": [
        {"key": TZ, "value": "Europe/Paris"},
        {"key": "messaging.retry_policy", "value": {"max_attempts": 99}},
        {"key": "custom.stale", "value": 2, "version": 7},
        {"key": "messaging.tenant_send_rate", "value": 20},
    ]})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == [200, 400, 412, 200] and r.json()["succeeded"] == 2
    assert results[1]["error"]["field"] == "/body/updates/1/value/max_attempts"
    assert results[0]["id"] == f"client:{TZ}"
    reset = api.post("/settings/reset", token=admin, json={"keys": [TZ, "sms.help_text"]}).json()
    assert reset["removed"] == [TZ] and reset["count"] == 1
    assert _effective(api, admin, TZ, type="client")["source"] == "default"
    everything = api.post("/settings/reset", token=admin, json={}).json()
    assert everything["removed"] == ["custom.stale", "messaging.tenant_send_rate"]
    assert api.get("/settings", token=admin).json()["items"] == []
    _problem(api.post("/settings/reset", token=admin, json={"keys": ["nope.key"]}), 400, "/body/keys/0")
    activity = api.get(f"/clients/{client}/activity", token=admin, params={"entity_type": "setting"}).json()["items"]
    operations = [e["operation"] for e in activity]
    assert operations.count("resetSettingsToDefault") == 3 and operations.count("bulkUpdateSettings") == 0
    assert operations.count("setSetting") == 3  # the first one and the two bulk items that landed
    removed = next(e for e in activity if e["operation"] == "resetSettingsToDefault")
    assert removed["changes"]["value"]["after"] is None


# --- export ---------------------------------------------------------------------------------------------------
def test_export_settings_writes_the_tenants_settings_alone(api, t):
    from shared.settings import store

    # A credential that slipped in before setSetting refused them is redacted in the export all the same.
    store.put("client", t["client"], None, "custom.legacy", "AKIAABCDEFGHIJKLMNOP", description=None, actor=None,
              operation="setSetting")
    assert _set(api, t["user"], TZ, "Europe/Rome", type="user").status_code == 200
    assert _set(api, t["other_admin"], "custom.elsewhere", "x").status_code == 200
    started = api.post("/settings/export", token=t["admin"])
    assert started.status_code == 202, started.text
    assert started.json()["what"] == "settings"
    job, text = finished(api, started, t["admin"])
    rows = [json.loads(line) for line in text.splitlines()]
    assert {r["type"] for r in rows} == {"setting"} and len(rows) == job["items_written"]
    by_key = {(r["data"]["type"], r["data"]["key"]): r["data"] for r in rows}
    assert by_key[("user", TZ)]["user_id"] == t["users"]["user"]["id"]
    assert by_key[("client", "custom.legacy")]["value"] == "[redacted]" and "AKIAABCDEFGHIJKLMNOP" not in text
    assert "custom.elsewhere" not in text and all(r["data"]["client_id"] == t["client"] for r in rows)
