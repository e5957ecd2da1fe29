"""Settings: every environment variable our code reads, declared once here and read one way.

A function's settings are its Lambda environment. Each declaration names the variable, says what it
is, whether it leads to a secret, and where template.yaml takes its value from; `echelonx template`
gives each function the variables its code reads (found by walking the handler's imports for the
declarations they name), and the tests hold template.yaml to that. Read a setting on use, never at
import: `settings.TABLE_NAME.get()`. An absent required setting raises `MissingSetting`, which names
the variable and never a value.

The local runtime runs every function in one process: it calls `use()` so that a read sees the running
function's own variables, and a function reading a setting it does not declare fails as on AWS.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


class MissingSetting(LookupError):
    """A required setting is absent (or not declared for the running function); names the variable only."""


class Setting:
    """One environment variable. `value` is where template.yaml takes it from (`!Ref Table`): a parameter
    or a resource, written as in the template. `secret`: the value names a Secrets Manager secret (read
    with its id; the secret's value never sits in the environment). `default`: the setting is optional
    and this is what its absence means. `library`: read by that library itself from the process
    environment (template.yaml's Globals), never by our code."""

    __slots__ = ("about", "default", "library", "name", "secret", "value")

    def __init__(self, name: str, about: str, value: str, *, secret: bool = False, default: str | None = None,
                 library: str | None = None) -> None:
        self.name, self.about, self.value = name, about, value
        self.secret, self.default, self.library = secret, default, library
        _declared[name] = self

    def get(self) -> str:
        """The value in effect, else the default; MissingSetting when it is required and absent."""
        value = (_scope().get(self.name) or "").strip()
        if value:
            return value
        if self.default is None:
            raise MissingSetting(f"{self.name} is not set")
        return self.default

    def __repr__(self) -> str:
        return f"Setting({self.name})"


_declared: dict[str, Setting] = {}


def _process_environment() -> Mapping[str, str]:
    return os.environ


_scope: Callable[[], Mapping[str, str]] = _process_environment


def use(scope: Callable[[], Mapping[str, str]] | None) -> None:
    """Make reads see `scope()` (the local runtime: the running function's variables); None: the
    process environment again, as on Lambda, where each function has a process of its own."""
    global _scope
    _scope = scope or _process_environment


def declared() -> dict[str, Setting]:
    """Every declared setting by variable name."""
    return dict(_declared)


# --- What every function reads --------------------------------------------------------------------
TABLE_NAME = Setting("TABLE_NAME", "The single DynamoDB table's name", "!Ref Table")

# --- Tokens -----------------------------------------------------------------------------------------
JWT_ISSUER = Setting("JWT_ISSUER", "`iss` of the access tokens we issue and accept", "!Ref JwtIssuer")
JWT_AUDIENCE = Setting("JWT_AUDIENCE", "`aud` of the access tokens we issue and accept", "!Ref JwtAudience")
JWT_SIGNING_KEY_SECRET = Setting(
    "JWT_SIGNING_KEY_SECRET", 'The Ed25519 signing key: a secret holding JSON {"kid", "private_key"}',
    "!Ref JwtSigningKey", secret=True)
JWT_PUBLIC_KEYS_PARAMETER = Setting(
    "JWT_PUBLIC_KEYS_PARAMETER", "SSM parameter holding the verification keys, JSON {kid: public PEM}",
    "!Ref JwtPublicKeys")

# --- Stored secrets and exports -------------------------------------------------------------------
KMS_KEY_ID = Setting("KMS_KEY_ID", "KMS key that wraps the data keys of sensitive fields (TOTP secrets, webhook "
                     "signing secrets, the links of account emails)",
                     "!Ref FieldKey")
ERASURE_KEY_ID = Setting("ERASURE_KEY_ID", "KMS HMAC key that hashes an erased member's email and phone (the "
                         "key never leaves KMS, so the hashes cannot be recomputed without it)", "!Ref ErasureKey")
EXPORT_QUEUE_URL = Setting("EXPORT_QUEUE_URL", "SQS queue of export jobs (exportClientData → runExport)",
                           "!Ref ExportQueue")
EXPORT_BUCKET = Setting("EXPORT_BUCKET", "S3 bucket the export files are written to and downloaded from",
                        "!Ref ExportBucket")

IMPORT_BUCKET = Setting("IMPORT_BUCKET", "S3 bucket member imports are uploaded to (its notifications start them) "
                        "and their results written to", "!Ref ImportBucket")
IMPORT_QUEUE_URL = Setting("IMPORT_QUEUE_URL", "SQS queue of member imports: the bucket's upload events, and the "
                           "worker's own hand-offs of a long file", "!Ref ImportQueue")

# --- Messaging (shared.messaging) ---------------------------------------------------------------------
ATTACHMENT_BUCKET = Setting("ATTACHMENT_BUCKET", "S3 bucket of emails' attachments and of email bodies too large "
                            "for their item (createCommunication writes them, the sender reads them)",
                            "!Ref AttachmentBucket")
SEND_QUEUE_URL = Setting("SEND_QUEUE_URL", "SQS queue of communications to send (createCommunication → the "
                         "sender), and of the sender's own retries and settling checks", "!Ref SendQueue")
SEND_DLQ_URL = Setting("SEND_DLQ_URL", "SQS queue the sender puts a communication's message on once its "
                       "retries are exhausted (and the send queue's own redrive target)", "!Ref SendDeadLetterQueue")

# --- Account emails ---------------------------------------------------------------------------------
EMAIL_FROM = Setting("EMAIL_FROM", "Sender of account emails (verification, password reset)", "!Ref EmailFrom")
APP_BASE_URL = Setting("APP_BASE_URL", "Where the links in account emails point", "!Ref AppBaseUrl")

# --- Providers (shared.providers) -------------------------------------------------------------------
PROVIDER_TIMEOUT_SECONDS = Setting(
    "PROVIDER_TIMEOUT_SECONDS", "Connect and read timeout of every provider HTTP call, in seconds (Lambda "
    "must give up before its own deadline)", "!Ref ProviderTimeoutSeconds", default="10")
TWILIO_ACCOUNT_SID = Setting("TWILIO_ACCOUNT_SID", 'Twilio account SID ("AC..."): Basic-auth user and REST path',
                             "!Ref TwilioAccountSid")
TWILIO_AUTH_TOKEN_SECRET_ID = Setting("TWILIO_AUTH_TOKEN_SECRET_ID", "The Twilio auth token: a secret holding it",
                                      "!Ref TwilioAuthToken", secret=True)
TWILIO_API_BASE = Setting("TWILIO_API_BASE", "Another host for Twilio's API (the local fake); empty: "
                          "api.twilio.com", "!Ref TwilioApiBase", default="")
SENDGRID_API_KEY_SECRET_ID = Setting("SENDGRID_API_KEY_SECRET_ID", "The SendGrid API key: a secret holding it",
                                     "!Ref SendGridApiKey", secret=True)
SENDGRID_API_BASE = Setting("SENDGRID_API_BASE", "SendGrid's API base URL (the local fake's, locally)",
                            "!Ref SendGridApiBase", default="https://api.sendgrid.com")
NMI_SECURITY_KEY_SECRET_ID = Setting("NMI_SECURITY_KEY_SECRET_ID", "The NMI Direct Post security key: a secret "
                                     "holding it", "!Ref NmiSecurityKey", secret=True)
NMI_API_BASE = Setting("NMI_API_BASE", "NMI's API base URL (requests go to {base}/api/transact.php)",
                       "!Ref NmiApiBase", default="https://secure.nmi.com")

# --- Outbound webhooks (shared.webhooks) --------------------------------------------------------------
WEBHOOK_QUEUE_URL = Setting("WEBHOOK_QUEUE_URL", "SQS queue of outbound webhook deliveries (triggerWebhook → "
                            "deliverWebhooks, and the worker's delayed retries)", "!Ref WebhookQueue")
WEBHOOK_ALLOW_LOOPBACK = Setting(
    "WEBHOOK_ALLOW_LOOPBACK", "`true` admits http and loopback targets for webhook URLs whose host is written as "
    "a loopback address or `localhost` (the local runtime sets it; a deployment must not)",
    "!Ref WebhookAllowLoopback", default="false")

# --- Provider callbacks (shared.messaging.callbacks) --------------------------------------------------
PUBLIC_BASE_URL = Setting(
    "PUBLIC_BASE_URL", "The API's public base URL as providers call it (https://api.example.com): Twilio signs the "
    "URL it called, which API Gateway and proxies change, and the sender names its status callback under it; "
    "empty: no status callbacks are asked for", "!Ref PublicBaseUrl", default="")
SENDGRID_WEBHOOK_PUBLIC_KEY = Setting(
    "SENDGRID_WEBHOOK_PUBLIC_KEY", "The SendGrid event webhook's verification key (base64 DER of its ECDSA P-256 "
    "public key, as SendGrid shows it): a public key, no secret; empty: every event post is refused",
    "!Ref SendGridWebhookPublicKey", default="")

# --- Read by libraries, the same for every function (template.yaml Globals) ---------------------------
PYDANTIC_DISABLE_PLUGINS = Setting(
    "PYDANTIC_DISABLE_PLUGINS", "pydantic would scan every installed distribution for plugins at the first "
    "model build (~20 ms of each cold start); we use none", "__all__", library="pydantic")
POWERTOOLS_SERVICE_NAME = Setting("POWERTOOLS_SERVICE_NAME", "Service name on every log line and metric",
                                  "echelonx", library="Powertools")
POWERTOOLS_METRICS_NAMESPACE = Setting("POWERTOOLS_METRICS_NAMESPACE", "CloudWatch namespace of our metrics",
                                       "EchelonX", library="Powertools")
POWERTOOLS_LOG_LEVEL = Setting("POWERTOOLS_LOG_LEVEL", "Level of the JSON logs", "INFO", library="Powertools")
