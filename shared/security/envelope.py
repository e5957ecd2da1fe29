"""KMS envelope encryption for sensitive fields (e.g. TOTP secrets) before they reach DynamoDB.

Each value gets its own AES-256-GCM data key from KMS; the stored text carries the wrapped key,
nonce and ciphertext. The encryption context binds a value to its owner, so a ciphertext copied
into another item does not decrypt.
"""

from __future__ import annotations

import base64
import json
import os

from shared.core import settings

PREFIX = "kms1:"


def _kms():
    from shared.core import aws

    return aws.client("kms")


def encrypt(plaintext: str, context: dict[str, str]) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _kms().generate_data_key(KeyId=settings.KMS_KEY_ID.get(), KeySpec="AES_256", EncryptionContext=context)
    nonce = os.urandom(12)
    sealed = AESGCM(key["Plaintext"]).encrypt(nonce, plaintext.encode(), None)
    blob = {"k": _b64(key["CiphertextBlob"]), "n": _b64(nonce), "c": _b64(sealed)}
    return PREFIX + base64.urlsafe_b64encode(json.dumps(blob).encode()).decode()


def decrypt(stored: str, context: dict[str, str]) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not stored.startswith(PREFIX):
        raise ValueError("not an envelope-encrypted value")
    blob = json.loads(base64.urlsafe_b64decode(stored[len(PREFIX):]))
    key = _kms().decrypt(CiphertextBlob=base64.b64decode(blob["k"]), EncryptionContext=context)
    return AESGCM(key["Plaintext"]).decrypt(base64.b64decode(blob["n"]), base64.b64decode(blob["c"]), None).decode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
