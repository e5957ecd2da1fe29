"""Login, refresh rotation, reuse detection, logout, lockout and JWT attacks, through the gateway."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from shared import clock
from shared.ids import new_id
from shared.local.seed import STAFF_PASSWORD
from tests.addresses import fresh_loopback


def _me(api, pair):
    return api.get(f"/users/{pair['user']['id']}", token=pair["access_token"])


def test_login_answers_tokens_and_the_user_without_secrets(api, login):
    pair = login("admin")
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 900
    assert "password_hash" not in pair["user"] and pair["user"]["role"] == "admin"
    me = _me(api, pair)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == pair["user"]["email"]
    assert me.headers["etag"] == f'"{me.json()["version"]}"'
    assert me.json()["login_count"] >= 1 and me.json()["last_login"]


def test_refresh_rotates_and_the_old_token_is_spent(api, login):
    pair = login("manager")
    first = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != pair["refresh_token"]
    assert _me(api, rotated).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_family(api, login):
    pair = login("user")
    newer = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    reuse = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.headers["content-type"] == "application/problem+json"
    # The thief's reuse burns the legitimate holder's newer token too, and its access token.
    assert api.post("/auth/refresh", json={"refresh_token": newer["refresh_token"]}).status_code == 401
    clock.advance(61)  # past the authorizer cache
    assert _me(api, newer).status_code == 403


def _session_item(local, refresh_token: str) -> dict:
    tenant, session_id = refresh_token.split(".")[:2]
    key = {"PK": {"S": f"T#{tenant}#SESSION#{session_id}"}, "SK": {"S": "SESSION"}}
    return local.aws.client("dynamodb").get_item(TableName=local.aws.names["Table"], Key=key)["Item"]


def test_the_session_item_keeps_its_size_over_a_hundred_refreshes(api, local, login):
    first = login("user")
    pair = api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    after_one = _session_item(local, pair["refresh_token"])
    for _ in range(99):
        r = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 200, r.text
        pair = r.json()
    after_hundred = _session_item(local, pair["refresh_token"])
    assert after_hundred["generation"] == {"N": "101"} and after_one["generation"] == {"N": "2"}
    assert set(after_hundred) == set(after_one)
    # Only the generation's digits differ: nothing accumulates (the old item kept every replaced hash).
    size = lambda item: len(json.dumps(item, sort_keys=True))  # noqa: E731
    assert size(after_hundred) - size(after_one) == len("101") - len("2")
    # The first generation, a hundred refreshes ago, is still known for what it is: reuse.
    assert api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 401
    assert api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401


def test_a_refresh_token_made_up_from_a_session_id_revokes_nothing(api, login):
    """The session id is in every access token (`sid`): knowing it must not let anyone end the
    family by claiming an old generation, nor log it out. Only the family's secret proves a token."""
    pair = login("user")
    tenant, session_id, generation, _, secret = pair["refresh_token"].split(".")
    for forged in (f"{tenant}.{session_id}.1.{'x' * 43}.{secret}", f"{tenant}.{session_id}.0.{'x' * 43}.{'y' * 43}",
                   f"{tenant}.{session_id}.\u00b2.{'x' * 43}.{secret}"):  # a digit to str.isdigit, not to int()
        assert api.post("/auth/refresh", json={"refresh_token": forged}).status_code == 401
        assert api.post("/auth/logout", json={"refresh_token": forged}).status_code == 204
    assert generation == "1"
    assert api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 200


def test_logout_revokes_refresh_and_access(api, login):
    pair = login("admin")
    assert api.post("/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    clock.advance(61)
    assert _me(api, pair).status_code == 403
    # Logging out again is harmless.
    assert api.post("/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 204


def test_unknown_email_and_wrong_password_answer_alike(api, local):
    api = api.from_address(fresh_loopback())  # failures spend the address's budget too
    known = api.post("/auth/login", json={"email": local.logins["manager"]["email"], "password": "wrong-password"})
    unknown = api.post("/auth/login", json={"email": f"nobody-{new_id()}@x.io", "password": "wrong-password"})
    assert known.status_code == unknown.status_code == 401
    strip = lambda r: {k: v for k, v in r.json().items() if k not in ("correlation_id",)}  # noqa: E731
    assert strip(known) == strip(unknown)


@pytest.mark.parametrize("known", [True, False])
def test_lockout_after_five_failures_and_release_after_fifteen_minutes(api, local, known):
    from shared.local.seed import _user
    from shared.security.passwords import hash_password  # noqa: F401 - seeded user below hashes once
    from shared.users import store as users

    api = api.from_address(fresh_loopback())
    email = f"lock-{new_id().lower()}@demo.echelonx.local"
    if known:
        users.create(_user(local.logins["client_id"], "user", email, STAFF_PASSWORD, first="Lock", last="Me"))
    clock.freeze()
    answers = [api.post("/auth/login", json={"email": email, "password": "nope-nope"}) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert int(answers[-1].headers["retry-after"]) == 900
    right = api.post("/auth/login", json={"email": email, "password": STAFF_PASSWORD})
    assert right.status_code == 429  # locked even with the right password (and for unknown emails alike)
    clock.advance(14 * 60)
    assert api.post("/auth/login", json={"email": email, "password": STAFF_PASSWORD}).status_code == 429
    clock.advance(61)
    after = api.post("/auth/login", json={"email": email, "password": STAFF_PASSWORD})
    assert after.status_code == (200 if known else 401)


def test_twenty_failures_from_one_address_lock_that_address_whatever_the_emails(api, local):
    """Credential stuffing spreads its guesses over many emails, each under the per-email limit."""
    clock.freeze()
    address = fresh_loopback()
    stuffer = api.from_address(address)
    guesses = [stuffer.post("/auth/login", json={"email": f"victim-{n}-{new_id().lower()}@x.io", "password": "Winter2024!"})
               for n in range(20)]
    assert [g.status_code for g in guesses] == [401] * 19 + [429]
    assert int(guesses[-1].headers["retry-after"]) == 900
    assert guesses[-1].json()["type"].endswith("/too-many-attempts")
    seeded = local.logins["manager"]
    right = {"email": seeded["email"], "password": seeded["password"]}
    assert stuffer.post("/auth/login", json=right).status_code == 429  # even the right password, from there
    assert api.from_address(fresh_loopback()).post("/auth/login", json=right).status_code == 200  # elsewhere: fine
    clock.advance(15 * 60 + 1)
    assert stuffer.post("/auth/login", json=right).status_code == 200
    # After the lock, counting starts afresh; a good login of one's own in between forgives nothing.
    for n in range(19):
        assert stuffer.post("/auth/login", json={"email": f"again-{n}-{new_id().lower()}@x.io",
                                                 "password": "Winter2024!"}).status_code == 401
    assert stuffer.post("/auth/login", json=right).status_code == 200
    last = stuffer.post("/auth/login", json={"email": f"last-{new_id().lower()}@x.io", "password": "Winter2024!"})
    assert last.status_code == 429


def test_bad_login_input_names_the_field(api):
    r = api.post("/auth/login", json={"email": "not-an-email", "password": "x"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "/body/email"
    r = api.post("/auth/login", data="{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["field"] == "/body"


# --- JWT attacks: every forged or misused token is refused by the authorizer (403) -------------

def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(pair) -> dict:
    return jwt.decode(pair["access_token"], options={"verify_signature": False})


def _header(pair) -> dict:
    return jwt.get_unverified_header(pair["access_token"])


def _public_pem(local) -> str:
    import boto3

    ssm = boto3.client("ssm", endpoint_url=local.aws.endpoint, region_name="us-east-1")
    keys = json.loads(ssm.get_parameter(Name=local.aws.names["JwtPublicKeys"])["Parameter"]["Value"])
    return next(iter(keys.values()))


def _private(local) -> dict:
    import boto3

    sm = boto3.client("secretsmanager", endpoint_url=local.aws.endpoint, region_name="us-east-1")
    return json.loads(sm.get_secret_value(SecretId=local.aws.names["JwtSigningKey"])["SecretString"])


def _resign(local, claims, kid=None):
    key = _private(local)
    return jwt.encode(claims, key["private_key"], algorithm="EdDSA", headers={"kid": kid or key["kid"]})


def _hs256(claims: dict, kid: str, secret: str) -> str:
    """The classic key-confusion forgery (PyJWT itself refuses to make it, so it is made by hand)."""
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}"
    sig = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(sig).decode().rstrip("=")


def _forgeries(local, pair) -> dict[str, str]:
    claims, header = _claims(pair), _header(pair)
    now = int(time.time())
    head, body, sig = pair["access_token"].split(".")
    tampered = dict(claims, role="super_admin")
    return {
        "none algorithm": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': header['kid']})}.{_b64(claims)}.",
        "HS256 signed with the public key": _hs256(claims, header["kid"], _public_pem(local)),
        "expired": _resign(local, dict(claims, iat=now - 3600, exp=now - 1800)),
        "wrong audience": _resign(local, dict(claims, aud="someone-else")),
        "wrong issuer": _resign(local, dict(claims, iss="https://evil.example")),
        "tampered payload": f"{head}.{_b64(tampered)}.{sig}",
        "unknown kid": _resign(local, claims, kid="no-such-key"),
        "refresh token as access token": pair["refresh_token"],
        "garbage": "not.a.jwt",
    }


def test_jwt_attacks_are_refused(api, local, login):
    pair = login("user")
    assert _me(api, pair).status_code == 200
    for name, token in _forgeries(local, pair).items():
        r = _me(api, {"access_token": token, "user": pair["user"]})
        assert r.status_code == 403, f"{name}: {r.status_code} {r.text}"
        assert r.json() == {"message": "Forbidden"}, name


def test_missing_token_is_401_from_the_gateway(api, login):
    pair = login("user")
    r = api.get(f"/users/{pair['user']['id']}")
    assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}


def test_another_tenants_user_is_not_found(api, login, local):
    admin = login("admin")
    r = api.get(f"/users/{admin['user']['id']}?client_id=01J000000000000000000OTHER", token=admin["access_token"])
    assert r.status_code == 404 and r.json()["type"].endswith("/not-found")


def test_seeded_two_factor_account_needs_its_code(api, local):
    import pyotp

    mfa = local.logins["two_factor"]
    clock.freeze()
    without = api.post("/auth/login", json={"email": mfa["email"], "password": mfa["password"]})
    assert without.status_code == 401 and without.json()["field"] == "/body/totp_code"
    code = pyotp.TOTP(mfa["totp_secret"]).at(clock.now_s())
    ok = api.post("/auth/login", json={"email": mfa["email"], "password": mfa["password"], "totp_code": code})
    assert ok.status_code == 200 and ok.json()["user"]["two_factor_enabled"] is True
