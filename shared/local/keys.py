"""JWT signing keys: a fresh Ed25519 pair as the secret (private) and parameter (public) expect."""

from __future__ import annotations

import json

from shared.ids import new_id


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
