"""The JWK set through the gateway, verified with PyJWT as another service would, and key rotation:
old tokens keep verifying, new ones carry the new kid, the set lists both until the old key is pruned."""

from __future__ import annotations

import json

import jwt

from shared import clock
from shared.core import settings
from shared.local import keys
from shared.local.cli import main, state_file
from shared.security import secrets

JWKS = "/.well-known/jwks.json"


def _verified(local, token: str) -> dict:
    """The token's claims, checked with the published JWK set only (PyJWT fetches it over HTTP)."""
    key = jwt.PyJWKClient(local.url + JWKS, cache_jwk_set=False).get_signing_key_from_jwt(token)
    # PyJWT reads the system clock; tokens here are stamped by the shared clock, which tests move ahead.
    return jwt.decode(token, key, algorithms=["EdDSA"], audience=settings.JWT_AUDIENCE.get(),
                      issuer=settings.JWT_ISSUER.get(), options={"verify_iat": False, "verify_nbf": False})


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def _me(api, pair):
    return api.get(f"/users/{pair['user']['id']}", token=pair["access_token"])


def _store(local) -> keys.KeyStore:
    return keys.KeyStore(local.aws.client("secretsmanager"), local.aws.client("ssm"),
                         local.aws.names["JwtSigningKey"], local.aws.names["JwtPublicKeys"])


def _signing_secret(local) -> dict:
    raw = local.aws.client("secretsmanager").get_secret_value(SecretId=local.aws.names["JwtSigningKey"])
    return json.loads(raw["SecretString"])


def test_the_jwks_verifies_an_access_token_from_login(api, local, login):
    pair = login("user")
    r = api.get(JWKS)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "public, max-age=60"
    assert r.headers["content-type"] == "application/json"
    listed = r.json()["keys"]
    assert {k["kid"] for k in listed} == set(_store(local).published())
    assert all((k["kty"], k["crv"], k["alg"], k["use"]) == ("OKP", "Ed25519", "EdDSA", "sig") for k in listed)
    assert _kid(pair["access_token"]) in {k.key_id for k in jwt.PyJWKSet.from_dict(r.json()).keys}
    claims = _verified(local, pair["access_token"])
    assert claims["sub"] == pair["user"]["id"] and claims["typ"] == "access"


def test_rotation_keeps_old_tokens_valid_and_new_ones_carry_the_new_kid(api, local, login, capsys):
    store = _store(local)
    before = _signing_secret(local)
    assert _me(api, login("manager")).status_code == 200  # the authorizer holds a copy of the key set now
    old = login("user")
    assert _kid(old["access_token"]) == before["kid"]
    seen_while_waiting = []

    def wait(seconds):  # the caches follow the shared clock: move it instead of sleeping
        clock.advance(seconds)
        seen_while_waiting.append(({k["kid"] for k in api.get(JWKS).json()["keys"]}, _signing_secret(local)["kid"]))

    done = keys.rotate(store, wait=wait, say=lambda line: None)
    new_kid = done["signing"]
    assert done["previous"] == before["kid"] and new_kid != before["kid"]
    # By the end of the wait, before it signs, the JWK set answered (from copies as old as allowed) has it.
    assert seen_while_waiting == [({before["kid"], new_kid}, before["kid"])]
    assert {k["kid"] for k in api.get(JWKS).json()["keys"]} == {before["kid"], new_kid}

    # A token the new key signed is accepted at once: an unknown kid makes the authorizer read the
    # key set afresh (its copy is younger than its five minutes).
    resigned = jwt.encode(jwt.decode(old["access_token"], options={"verify_signature": False}),
                          _signing_secret(local)["private_key"], algorithm="EdDSA", headers={"kid": new_kid})
    assert _me(api, {"access_token": resigned, "user": old["user"]}).status_code == 200
    # The token signed before the rotation still verifies, here and with the JWK set.
    assert _me(api, old).status_code == 200
    assert _verified(local, old["access_token"])["sub"] == old["user"]["id"]

    clock.advance(secrets.MAX_AGE_SECONDS)  # a warm login function's copy of the secret has expired
    fresh = login("user")
    assert _kid(fresh["access_token"]) == new_kid
    assert _me(api, fresh).status_code == 200 and _verified(local, fresh["access_token"])["sub"] == fresh["user"]["id"]
    assert _me(api, old).status_code == 200  # 6.5 minutes old: still valid, the old key still published

    # Dropping the old key is refused while tokens it signed may be valid; through the CLI here.
    state = state_file(local.port)
    local.write_state(state)
    try:
        assert main(["keys", "prune", "--port", str(local.port)]) == 1
        assert "may be valid for" in capsys.readouterr().err
        clock.advance(keys.RETIRED_KEY_LIFE_SECONDS)
        assert main(["keys", "prune", "--port", str(local.port)]) == 0
        assert json.loads(capsys.readouterr().out)["dropped"] == [before["kid"]]
    finally:
        state.unlink(missing_ok=True)
    assert [k["kid"] for k in api.get(JWKS).json()["keys"]] == [new_kid]
    # A token the dropped key signs now (a leaked key) is refused; the new key's are not.
    claims = dict(jwt.decode(fresh["access_token"], options={"verify_signature": False}),
                  iat=clock.now_s(), exp=clock.now_s() + 600)
    leaked = jwt.encode(claims, before["private_key"], algorithm="EdDSA", headers={"kid": before["kid"]})
    clock.advance(61)  # past the decisions the gateway cached
    assert _me(api, {"access_token": leaked, "user": fresh["user"]}).status_code == 403
    assert _me(api, login("user")).status_code == 200


def test_rotate_drops_keys_older_than_the_one_it_replaces_only_when_they_can_sign_nothing_valid(local):
    store = _store(local)
    first = keys.rotate(store, wait=clock.advance, say=lambda line: None, force=True)
    second = _rotate_refused_then_forced(store)
    assert second["previous"] == first["signing"] and first["signing"] in store.published()
    assert set(store.published()) == {first["signing"], second["signing"]}
    clock.advance(keys.PUBLISH_AHEAD_SECONDS + keys.RETIRED_KEY_LIFE_SECONDS)
    third = keys.rotate(store, wait=clock.advance, say=lambda line: None)
    assert third["dropped"] == [first["signing"]]
    assert set(store.published()) == {second["signing"], third["signing"]}


def _rotate_refused_then_forced(store) -> dict:
    published = dict(store.published())
    try:
        keys.rotate(store, wait=clock.advance, say=lambda line: None)
    except keys.TooSoon:
        assert store.published() == published  # refused before anything changed
    else:
        raise AssertionError("a second rotation at once must be refused: the first one's old key may sign live tokens")
    return keys.rotate(store, wait=clock.advance, say=lambda line: None, force=True)


def test_the_timings_rotation_counts_on_are_the_templates():
    from shared.local.template import ROOT, load
    from shared.security import tokens

    authorizers = load(ROOT / "template.yaml")["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]
    cached = {a["Identity"]["ReauthorizeEvery"] for a in authorizers.values()}
    assert cached == {keys.AUTHORIZER_CACHE_SECONDS} == {tokens.JWKS_MAX_AGE_SECONDS}
