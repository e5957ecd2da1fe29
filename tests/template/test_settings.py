"""Settings: per function, what its code reads is what template.yaml gives it (Globals + its own), each
value is one of the template's parameters or resources, and a secret is readable by its readers' roles
alone. Offline: template.yaml and a static walk of the handlers' imports."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from shared.core.settings import declared
from shared.local import configuration
from shared.local.functions import discover
from shared.local.template import load

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = {s.name for s in configuration.library_settings()}


@pytest.fixture(scope="module")
def template():
    return load(ROOT / "template.yaml")


def _functions(template) -> dict[str, dict]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def _globals(template) -> dict:
    return template["Globals"]["Function"]["Environment"]["Variables"]


def _given(template, logical_id: str) -> dict:
    """The function's environment as Lambda gets it: Globals' variables, then its own."""
    own = (_functions(template)[logical_id].get("Environment") or {}).get("Variables") or {}
    return {**_globals(template), **own}


def _module(props: dict) -> str:
    return "functions." + props["Handler"].rsplit(".", 1)[0].replace("/", ".")


def test_each_function_is_given_exactly_what_its_code_reads(template):
    mismatched = {}
    for logical_id, props in _functions(template).items():
        given = set(_given(template, logical_id)) - LIBRARIES
        reads = configuration.reads(_module(props))
        if given != reads:
            mismatched[logical_id] = {"read, not given": sorted(reads - given), "given, not read": sorted(given - reads)}
    assert not mismatched, f"run `echelonx template` (or fix Globals): {mismatched}"


def test_globals_hold_the_libraries_variables_and_what_every_function_reads(template):
    libraries = {s.name: s.value for s in configuration.library_settings()}
    glob = _globals(template)
    assert {k: v for k, v in glob.items() if k in libraries} == libraries
    # A function that does not read one of them (a new one reaching no table) means: take it out of Globals.
    assert set(glob) - set(libraries) == configuration.universal(configuration.per_function(discover()))


def test_the_functions_that_sign_tokens_are_given_the_signing_key(template):
    # Issue 11: the token code read JWT_SIGNING_KEY_SECRET, which no function declared: login failed on AWS.
    for logical_id in ("LoginFunction", "RefreshTokenFunction"):
        assert _given(template, logical_id).get("JWT_SIGNING_KEY_SECRET") == {"Ref": "JwtSigningKey"}, logical_id
    assert template["Resources"]["JwtSigningKey"]["Type"] == "AWS::SecretsManager::Secret"
    assert "JWT_SIGNING_KEY_SECRET" not in _given(template, "AuthorizerFunction")  # it verifies, never signs


def test_the_functions_that_send_account_emails_queue_them_and_only_the_sender_holds_sendgrid(template):
    # Issue 11: the provider settings were declared nowhere, so createUser's verification email raised (500).
    # Issue 13: account emails go through the send pipeline: their functions queue them, the sender sends.
    for logical_id in ("CreateUserFunction", "UpdateUserFunction", "RequestPasswordResetFunction"):
        env = _given(template, logical_id)
        assert env.get("SEND_QUEUE_URL") == {"Ref": "SendQueue"} and env.get("KMS_KEY_ID") == {"Ref": "FieldKey"}
        assert env.get("EMAIL_FROM") == {"Ref": "EmailFrom"} and env.get("APP_BASE_URL") == {"Ref": "AppBaseUrl"}
        assert "SENDGRID_API_KEY_SECRET_ID" not in env, logical_id
    sender = _given(template, "SendCommunicationsFunction")
    assert sender.get("SENDGRID_API_KEY_SECRET_ID") == {"Ref": "SendGridApiKey"}
    assert sender.get("SENDGRID_API_BASE") == {"Ref": "SendGridApiBase"}
    assert sender.get("PROVIDER_TIMEOUT_SECONDS") == {"Ref": "ProviderTimeoutSeconds"}
    assert template["Resources"]["SendGridApiKey"]["Type"] == "AWS::SecretsManager::Secret"
    assert not {"SENDGRID_API_KEY_SECRET_ID", "TWILIO_AUTH_TOKEN_SECRET_ID"} & set(_given(template, "GetClientByIdFunction"))


def test_every_value_is_a_parameter_or_resource_and_a_secret_a_secrets_manager_secret(template):
    parameters, resources = template.get("Parameters") or {}, template["Resources"]
    setting = declared()
    for logical_id in _functions(template):
        for name, value in _given(template, logical_id).items():
            if name in LIBRARIES:
                continue
            assert name in setting, f"{logical_id} is given {name}, which shared.core.settings does not declare"
            (kind, target), = value.items()
            target = target[0] if isinstance(target, list) else str(target).split(".")[0]
            assert kind in ("Ref", "Fn::GetAtt") and (target in parameters or target in resources), (logical_id, name)
            if setting[name].secret:  # a secret's value never passes through a parameter or a variable
                assert kind == "Ref" and resources.get(target, {}).get("Type") == "AWS::SecretsManager::Secret", name


def _secret_grants(template, role: str) -> set[str]:
    """The secrets a role may read (GetSecretValue resources, by logical id)."""
    found = set()
    for policy in template["Resources"][role]["Properties"].get("Policies") or []:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Allow" and "secretsmanager:GetSecretValue" in actions:
                targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                assert all(isinstance(t, dict) and "Ref" in t for t in targets), f"{role}: a secret by name or *"
                found |= {t["Ref"] for t in targets}
    return found


def test_a_secret_is_readable_by_the_roles_of_the_functions_that_read_it_and_no_others(template):
    setting, needed = declared(), {}
    for logical_id, props in _functions(template).items():
        role = props["Role"]["Fn::GetAtt"][0]
        secrets = {v["Ref"] for n, v in _given(template, logical_id).items() if n in setting and setting[n].secret}
        missing = secrets - _secret_grants(template, role)
        assert not missing, f"{logical_id} reads {missing}, which {role} may not read"
        needed.setdefault(role, set()).update(secrets)
    for role, secrets in needed.items():
        assert _secret_grants(template, role) == secrets, f"{role} may read secrets none of its functions reads"


def test_the_walk_follows_imports_inside_functions_and_skips_type_checking_ones(tmp_path):
    package = tmp_path / "walkfixture"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(textwrap.dedent("""
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from walkfixture import typing_only

        def handler(event, context):
            from walkfixture import lazy  # runs on first use: its settings count
            return lazy.sender()
    """))
    (package / "lazy.py").write_text("from shared.core import settings\n\ndef sender():\n"
                                     "    return settings.EMAIL_FROM.get()\n")
    (package / "typing_only.py").write_text("from shared.core import settings\nKEY = settings.KMS_KEY_ID\n")
    (package / "unreached.py").write_text("from shared.core import settings\nNAME = settings.TABLE_NAME\n")

    assert configuration.reads("walkfixture.handler", tmp_path, ("walkfixture", "shared")) == {"EMAIL_FROM"}


def test_the_readme_configuration_reference_is_current():
    current, fresh = configuration.generate(ROOT / "README.md", ROOT)
    assert current == fresh, "README.md's configuration reference has drifted: run `echelonx settings`"
