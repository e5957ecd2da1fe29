"""JWT signing keys: a fresh Ed25519 pair, and rotating a stack's keys (`echelonx keys rotate|prune`).

A stack keeps its signing key in a secret (`{"kid", "private_key"}`) and the verification keys in a
parameter (`{kid: public PEM}`). Rotating publishes the new public key next to the current one,
waits until every copy of the key set can know it (PUBLISH_AHEAD_SECONDS), then signs with it; the
replaced key stays published, so tokens it signed keep verifying until they expire. Keys older than
the replaced one are dropped by the next rotation, or by `prune`, once nothing they signed can still
be presented (RETIRED_KEY_LIFE_SECONDS after the switch). Kids are ULIDs minted when the key is made,
which is when rotation publishes it, so the kid of the signing key tells when it began to sign.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.ids import new_id
from shared.security import secrets, tokens

if TYPE_CHECKING:
    from collections.abc import Callable

# Between publishing a key and signing with it: an authorizer asks for a copy of the key set this
# fresh when it meets an unknown kid, and a JWKS consumer keeps the set this long.
PUBLISH_AHEAD_SECONDS = tokens.KEY_SET_FRESH_SECONDS + tokens.JWKS_MAX_AGE_SECONDS
AUTHORIZER_CACHE_SECONDS = 60  # template.yaml's ReauthorizeEvery (a test holds them equal)
# After the switch, tokens signed with the replaced key still arrive: a warm login or refresh function
# signs with its copy of the secret for up to secrets.MAX_AGE_SECONDS, each token lives its lifetime
# (plus the leeway), and the gateway keeps an allow decision for its authorizer cache.
RETIRED_KEY_LIFE_SECONDS = (secrets.MAX_AGE_SECONDS + tokens.ACCESS_TOKEN_TTL_SECONDS + tokens.LEEWAY_SECONDS
                            + AUTHORIZER_CACHE_SECONDS)


def new_key_pair() -> tuple[dict, dict]:
    """(secret value `{"kid", "private_key"}`, parameter value `{kid: public_pem}`)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    kid = new_id()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return {"kid": kid, "private_key": private}, {kid: public}


def install(aws, secret_logical="JwtSigningKey", parameter_logical="JwtPublicKeys", pair=None) -> dict:
    secret, public = pair or new_key_pair()
    aws.client("secretsmanager").put_secret_value(SecretId=aws.names[secret_logical], SecretString=json.dumps(secret))
    aws.client("ssm").put_parameter(Name=aws.names[parameter_logical], Value=json.dumps(public),
                                    Type="String", Overwrite=True)
    return {"secret": secret, "public": public}


class TooSoon(Exception):
    """Dropping a key now could refuse tokens it signed that are still valid."""


@dataclass
class KeyStore:
    """A stack's signing secret and public-key parameter, with the clients that reach them."""

    secretsmanager: Any
    ssm: Any
    secret_id: str
    parameter_name: str

    def signing_kid(self) -> str | None:
        """The kid of the key that signs now; None before any key was installed (CloudFormation
        fills a new secret with a random password, which is no key)."""
        raw = self.secretsmanager.get_secret_value(SecretId=self.secret_id).get("SecretString") or ""
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value.get("kid") if isinstance(value, dict) else None

    def published(self) -> dict[str, str]:
        return json.loads(self.ssm.get_parameter(Name=self.parameter_name)["Parameter"]["Value"])

    def publish(self, public: dict[str, str]) -> None:
        self.ssm.put_parameter(Name=self.parameter_name, Value=json.dumps(public), Type="String", Overwrite=True)

    def sign_with(self, secret: dict) -> None:
        self.secretsmanager.put_secret_value(SecretId=self.secret_id, SecretString=json.dumps(secret))


def rotate(store: KeyStore, *, force: bool = False, wait: Callable[[float], Any] = time.sleep,
           say: Callable[[str], Any] = print) -> dict:
    """A new key signs; the one it replaces stays published, any older one is dropped (TooSoon while
    tokens it signed may be live, unless `force`). With no key yet, the new one is installed at once."""
    current = store.signing_kid()
    published = store.published()
    dropped = sorted(k for k in published if k != current)
    if dropped and not force:
        _refuse_while_live(current, dropped)
    secret, public = new_key_pair()
    kept = {current: published[current]} if current in published else {}
    store.publish({**kept, **public})
    if current is not None:
        say(f"published key {secret['kid']}; it signs in {PUBLISH_AHEAD_SECONDS} s, once every copy of the key set can know it")
        wait(PUBLISH_AHEAD_SECONDS)
    store.sign_with(secret)
    return {"signing": secret["kid"], "previous": current if kept else None, "dropped": dropped}


def prune(store: KeyStore, *, force: bool = False) -> dict:
    """Drop every published key but the signing one (TooSoon while tokens they signed may be live,
    unless `force`: a leaked key is dropped at once)."""
    current = store.signing_kid()
    published = store.published()
    if current not in published:
        raise ValueError(f"the signing key {current} is not published: run `echelonx keys rotate`")
    dropped = sorted(k for k in published if k != current)
    if dropped and not force:
        _refuse_while_live(current, dropped)
    if dropped:
        store.publish({current: published[current]})
    return {"signing": current, "previous": None, "dropped": dropped}


def _refuse_while_live(current: str | None, dropped: list[str]) -> None:
    from ulid import ULID

    try:
        signing_since = ULID.from_str(current or "").milliseconds / 1000 + PUBLISH_AHEAD_SECONDS
    except ValueError:
        raise TooSoon(f"cannot tell when key {current} began to sign (its kid is no ULID): "
                      f"keep {', '.join(dropped)} for {RETIRED_KEY_LIFE_SECONDS} s after, or --force") from None
    left = int(signing_since + RETIRED_KEY_LIFE_SECONDS - clock.now_s())
    if left > 0:
        raise TooSoon(f"tokens signed with {', '.join(dropped)} may be valid for {left} s more "
                      "(--force drops them now: a leaked key)")
