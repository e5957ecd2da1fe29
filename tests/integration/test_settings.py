"""The local runtime gives each function exactly the environment template.yaml declares for it, so a
setting a function does not declare fails here as on AWS (where the variable would simply be missing)."""

from __future__ import annotations

import os

import pytest

from shared.core import settings
from shared.core.settings import MissingSetting
from shared.ids import new_id
from tests.eventually import eventually


def test_a_running_function_reads_its_own_settings_and_no_others(local):
    with local.functions["LoginFunction"].acting():
        assert settings.JWT_SIGNING_KEY_SECRET.get() == local.aws.names["JwtSigningKey"]
    with local.functions["GetClientByIdFunction"].acting():
        assert settings.TABLE_NAME.get() == local.aws.names["Table"]  # Globals: every function's
        with pytest.raises(MissingSetting, match="JWT_SIGNING_KEY_SECRET is not set"):
            settings.JWT_SIGNING_KEY_SECRET.get()
    # Outside any function (tests, the seed) the stack's settings are there, none put in by hand.
    assert settings.JWT_SIGNING_KEY_SECRET.get() == local.aws.names["JwtSigningKey"]
    assert not {"JWT_SIGNING_KEY_SECRET", "KMS_KEY_ID", "SENDGRID_API_BASE", "SENDGRID_API_KEY_SECRET_ID",
                "TWILIO_API_BASE"} & set(os.environ)


def test_the_fakes_come_in_as_parameter_overrides_and_secret_values(local):
    sender = local.functions["SendCommunicationsFunction"].variables
    assert sender["SENDGRID_API_BASE"] == local.fakes_url  # the SendGridApiBase parameter, overridden
    stored = local.aws.client("secretsmanager").get_secret_value(SecretId=sender["SENDGRID_API_KEY_SECRET_ID"])
    assert stored["SecretString"] == local.provider_fakes.credentials.sendgrid_api_key


def _login(api, local):
    creds = local.logins["user"]
    return api.post("/auth/login", json={"email": creds["email"], "password": creds["password"]})


def test_login_signs_with_the_key_its_template_entry_names(local, api, monkeypatch):
    # Issue 11: JWT_SIGNING_KEY_SECRET was set by hand here and declared nowhere, so login failed on AWS.
    # Without the declaration, login here now fails as it would there.
    monkeypatch.delitem(local.functions["LoginFunction"].variables, "JWT_SIGNING_KEY_SECRET")
    failed = _login(api, local)
    assert failed.status_code == 500 and failed.json()["type"].endswith("/internal")
    monkeypatch.undo()
    assert _login(api, local).status_code == 200


def _create_user(api, admin):
    email = f"settings-{new_id().lower()}@demo.echelonx.local"
    body = {"email": email, "role": "user", "password": "correct-horse-battery", "first_name": "Set",
            "last_name": "Tings"}
    return email, api.post("/users", token=admin["access_token"], json=body)


def test_create_user_sends_its_verification_email_with_the_settings_its_entry_declares(local, api, admin,
                                                                                       monkeypatch):
    # Issue 11: the SendGrid settings were declared nowhere, so the verification email raised: 500 on AWS.
    email, created = _create_user(api, admin)
    assert created.status_code == 201, created.text
    mail = eventually(lambda: next((m for m in local.provider_fakes.outbox("sendgrid") if m.get("to") == email), None))
    assert "token=" in mail["body"]

    monkeypatch.delitem(local.functions["CreateUserFunction"].variables, "SEND_QUEUE_URL")
    _, without = _create_user(api, admin)
    assert without.status_code == 500 and without.json()["type"].endswith("/internal")
