"""The declared settings: every key the product reads, with its type, typed default, category,
description and the scopes it may be set in. A stored value of a declared key is validated against
its type (a 400 naming `/body/value/...` precisely); `effective` answers it typed.

A key is `<category>.<name>`: the category is its first segment, so a category's settings are one
key range of a scope's partition. Keys the catalogue does not declare:

- `custom.<name>`: accepted as bounded JSON (at most MAX_CUSTOM_BYTES, MAX_CUSTOM_PER_SCOPE keys a
  scope), for a tenant's own integrations; nothing in the product reads them.
- anything else: refused, 400 naming `/body/key` (with the closest declared key). A demanding user
  wants a typo (`messaging.quiet_hour`) refused at once, not stored where nothing will ever read it
  while the quiet hours they meant stay at their default.

Settings are readable by staff and exported, so they hold no secrets: a custom key named like one
(`custom.api_token`) or a value shaped like a credential is refused (400), and the export redacts any.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, model_validator

from shared.formats import EMAIL_PATTERN, time_zone_names

SYSTEM, CLIENT, USER = "system", "client", "user"
SCOPES = (SYSTEM, CLIENT, USER)
CUSTOM = "custom"
CATEGORIES = ("general", "messaging", "sms", "email", CUSTOM)
CHANNELS = ("sms", "mms", "email", "voice")
MAX_CUSTOM_BYTES = 4096
MAX_CUSTOM_PER_SCOPE = 50
KEY_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$"
KEY_MAX = 128
GSM7_SEGMENT, UCS2_SEGMENT = 160, 70

# Built on first validation, not at import: every settings handler imports the catalogue.
_STRICT = ConfigDict(extra="forbid", defer_build=True)


# --- value types ------------------------------------------------------------------------------------
def _time_zone(name: str) -> str:
    if name not in time_zone_names():
        raise ValueError(f"{name!r} is not an IANA time zone name (e.g. America/New_York)")
    return name


TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_time_zone)]
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, 24-hour clock")]


class QuietWindow(BaseModel):
    """No sending from `start` to `end`, local time (end before start: the window spans midnight)."""

    model_config = _STRICT
    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _not_empty(self) -> QuietWindow:
        if self.start == self.end:
            raise ValueError("start and end are equal: an empty window (remove the channel instead)")
        return self


class QuietHours(BaseModel):
    """Per channel, the window in which nothing is sent (None: that channel has none), in the tenant's
    `general.time_zone`."""

    model_config = _STRICT
    sms: QuietWindow | None = None
    mms: QuietWindow | None = None
    email: QuietWindow | None = None
    voice: QuietWindow | None = None


_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-f]{32}$")


def _sms_sender(value: str) -> str:
    """An E.164 number (normalised) or a Twilio Messaging Service SID (MG + 32 hex digits)."""
    if value.startswith("MG"):
        if not _MESSAGING_SERVICE_SID.fullmatch(value):
            raise ValueError("a Messaging Service SID is MG followed by 32 lower-case hex digits")
        return value
    import phonenumbers

    if not value.startswith("+"):
        raise ValueError("an E.164 number starts with + and the country code (or give a Messaging Service SID)")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


SmsSender = Annotated[str, Field(max_length=34), AfterValidator(_sms_sender)]
EmailAddress = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]


class SendRates(BaseModel):
    """Messages per second per sender class, as the carriers and SendGrid allow them."""

    model_config = _STRICT
    long_code: int = Field(default=1, ge=1, le=10)
    toll_free: int = Field(default=3, ge=1, le=150)
    short_code: int = Field(default=100, ge=1, le=1000)
    email: int = Field(default=100, ge=1, le=1000)


SENDER_CLASSES = ("long_code", "toll_free", "short_code", "email")


class Sender(BaseModel):
    """One number or from-address a tenant sends from, and how fast it may go (None: its class's rate in
    `messaging.send_rates`; a 10DLC long code says the rate of its registered campaign class). A shared
    sender is one the platform lends to several tenants: its rate is split fairly between the tenants
    sending through it at the time."""

    model_config = _STRICT
    address: str = Field(min_length=3, max_length=254, description="E.164 number or email address, as the "
                         "communication's from_number / from_email")
    sender_class: str = Field(pattern="^(long_code|toll_free|short_code|email)$")
    rate: int | None = Field(default=None, ge=1, le=1000, description="messages per second")
    shared: bool = False

    @model_validator(mode="after")
    def _address_fits_the_class(self) -> Sender:
        is_email = "@" in self.address
        if is_email != (self.sender_class == "email"):
            raise ValueError("an email sender has an email address, a number sender an E.164 number")
        if not is_email:
            self.address = _sms_sender(self.address)
        return self


def _unique_senders(senders: list[Sender]) -> list[Sender]:
    seen = [s.address for s in senders]
    if len(set(seen)) != len(seen):
        raise ValueError("a sender is declared twice")
    return senders


Senders = Annotated[list[Sender], Field(max_length=50), AfterValidator(_unique_senders)]


class RetryPolicy(BaseModel):
    """A failed send is tried again after base * 2^(attempt-1) seconds, never more than cap."""

    model_config = _STRICT
    max_attempts: int = Field(default=4, ge=1, le=10, description="attempts in all, the first one included")
    backoff_base_seconds: int = Field(default=10, ge=1, le=300)
    backoff_cap_seconds: int = Field(default=600, ge=1, le=900, description="at most 15 minutes (SQS's longest delay)")

    @model_validator(mode="after")
    def _cap_above_base(self) -> RetryPolicy:
        if self.backoff_cap_seconds < self.backoff_base_seconds:
            raise ValueError("backoff_cap_seconds is below backoff_base_seconds")
        return self


class FrequencyCap(BaseModel):
    """At most so many messages to one member per day and per week (None: no cap)."""

    model_config = _STRICT
    per_day: int | None = Field(default=None, ge=1, le=100)
    per_week: int | None = Field(default=None, ge=1, le=500)

    @model_validator(mode="after")
    def _week_holds_the_day(self) -> FrequencyCap:
        if self.per_day is not None and self.per_week is not None and self.per_week < self.per_day:
            raise ValueError("per_week is below per_day")
        return self


class FrequencyCaps(BaseModel):
    """Per channel, marketing messages to one member per day and per week; `over_cap` says what becomes of
    one over a cap: `defer` (sent when the day or week that is full has passed) or `skip` (failed, not sent).
    Transactional messages are never capped."""

    model_config = _STRICT
    over_cap: str = Field(default="defer", pattern="^(defer|skip)$")
    sms: FrequencyCap = FrequencyCap()
    mms: FrequencyCap = FrequencyCap()
    email: FrequencyCap = FrequencyCap()
    voice: FrequencyCap = FrequencyCap()


_GSM7 = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM7_EXTENDED = frozenset("^{}\\[~]|€")  # two septets each


def sms_length(text: str) -> tuple[int, int]:
    """(length, one segment's limit): GSM-7 septets of 160, or UTF-16 code units of 70 when a character
    is outside GSM-7."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in text):
        return sum(2 if c in _GSM7_EXTENDED else 1 for c in text), GSM7_SEGMENT
    return len(text.encode("utf-16-le")) // 2, UCS2_SEGMENT


def _one_segment(text: str) -> str:
    length, limit = sms_length(text)
    if length > limit:
        raise ValueError(f"{length} characters: the reply must fit one SMS segment ({limit} here)")
    return text


HelpText = Annotated[str, Field(min_length=1), AfterValidator(_one_segment)]


# --- the catalogue ----------------------------------------------------------------------------------
class Declared:
    """One declared key: its type, its default (as JSON; None: not configured until set), what it is and
    the scopes it may be set in (the most general first). The type's validator is built on first use."""

    __slots__ = ("_adapter", "about", "key", "scopes", "shown", "stored_default", "type")

    def __init__(self, key: str, type_: Any, default: Any, about: str, scopes: tuple[str, ...],
                 shown: str | None = None):
        self.key, self.type, self.about, self.scopes = key, type_, about, scopes
        self.stored_default = default  # JSON, as a stored value is
        self.shown = shown or type_.__name__  # the type's name in the README
        self._adapter: TypeAdapter | None = None

    @property
    def adapter(self) -> TypeAdapter:
        if self._adapter is None:
            self._adapter = TypeAdapter(self.type)
        return self._adapter

    @property
    def category(self) -> str:
        return category_of(self.key)

    @property
    def default(self) -> Any:
        """The default, typed."""
        return None if self.stored_default is None else self.adapter.validate_python(self.stored_default)


_NIGHT = {"start": "21:00", "end": "08:00"}

DECLARED: dict[str, Declared] = {d.key: d for d in (
    Declared("general.time_zone", TimeZone, "UTC",
             "IANA time zone the tenant's quiet hours, schedules and reports are in (a user's own: how "
             "dates are shown to that user)", (SYSTEM, CLIENT, USER), "IANA time zone"),
    Declared("messaging.quiet_hours", QuietHours, {"sms": _NIGHT, "mms": _NIGHT, "email": None, "voice": _NIGHT},
             "Per channel (sms, mms, email, voice), HH:MM to HH:MM in which nothing is sent, in "
             "general.time_zone", (SYSTEM, CLIENT)),
    Declared("messaging.send_rates", SendRates, {"long_code": 1, "toll_free": 3, "short_code": 100, "email": 100},
             "Messages per second per sender class: long_code, toll_free, short_code, email", (SYSTEM, CLIENT)),
    Declared("messaging.tenant_send_rate", Annotated[int, Field(ge=1, le=1000)], 50,
             "Messages per second for the whole tenant, across channels and senders", (SYSTEM, CLIENT), "integer 1-1000"),
    Declared("messaging.senders", Senders, [],
             "The numbers and from-addresses a tenant sends from: address, sender_class (long_code, toll_free, "
             "short_code, email), rate (messages per second; none: the class's in messaging.send_rates), "
             "shared (the platform's, its rate split between the tenants on it)", (SYSTEM, CLIENT),
             "list of senders"),
    Declared("messaging.retry_policy", RetryPolicy,
             {"max_attempts": 4, "backoff_base_seconds": 10, "backoff_cap_seconds": 600},
             "Retries of a failed send: max_attempts (1-10), backoff_base_seconds (1-300), "
             "backoff_cap_seconds (at most 900, not below the base)", (SYSTEM, CLIENT)),
    Declared("messaging.frequency_caps", FrequencyCaps,
             {"over_cap": "defer", "sms": {"per_day": 3, "per_week": 10}, "mms": {"per_day": 2, "per_week": 6},
              "email": {"per_day": 3, "per_week": 14}, "voice": {"per_day": 1, "per_week": 3}},
             "Per channel, marketing messages to one member per_day and per_week; over_cap: defer (the "
             "default) or skip what is over", (SYSTEM, CLIENT)),
    Declared("sms.default_sender", SmsSender, None,
             "The number (E.164) or Twilio Messaging Service SID a tenant's SMS are sent from", (SYSTEM, CLIENT),
             "E.164 number or MG... SID"),
    Declared("sms.help_text", HelpText,
             "Reply STOP to unsubscribe. Msg & data rates may apply. For help, contact us through our website.",
             "The answer to an SMS HELP: one segment (160 GSM-7 characters, 70 otherwise)", (SYSTEM, CLIENT),
             "text, one SMS segment"),
    Declared("email.default_from", EmailAddress, None,
             "The address a tenant's emails are sent from (a sender verified in SendGrid)", (SYSTEM, CLIENT),
             "email address"),
)}



@lru_cache(maxsize=1)
def _json_value() -> TypeAdapter:
    return TypeAdapter(JsonValue)


def category_of(key: str) -> str:
    return key.split(".", 1)[0]


def check_key(key: str, field: str = "/body/key") -> Declared | None:
    """The declaration of `key` (None for a custom key); a ValueError naming why it is refused."""
    declared = DECLARED.get(key)
    if declared is not None:
        return declared
    if category_of(key) == CUSTOM:
        if _SECRET_NAME.search(key):
            raise ValueError(f"{key} is named like a secret: settings are shown to staff and exported, so "
                             "keep secrets in Secrets Manager")
        return None
    close = difflib.get_close_matches(key, DECLARED, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ValueError(f"{key} is not a declared setting{hint}; a key of your own goes under custom.")


def validate(key: str, value: Any) -> Any:
    """The value to store (JSON) for `key`: checked against the declared type, or bounded for a custom
    key. Raises pydantic's ValidationError (locations inside the value) or ValueError."""
    declared = DECLARED.get(key)
    if declared is not None:
        typed = declared.adapter.validate_python(value, strict=True)
        return declared.adapter.dump_python(typed, mode="json")
    value = _json_value().validate_python(value)
    if value is None:
        raise ValueError("a setting has a value: remove the setting instead (deleteSetting)")
    if len(json.dumps(value, separators=(",", ":"))) > MAX_CUSTOM_BYTES:
        raise ValueError(f"a custom setting holds at most {MAX_CUSTOM_BYTES} bytes of JSON")
    if looks_secret(key, value):
        raise ValueError("this value looks like a credential: settings are shown to staff and exported, so "
                         "keep secrets in Secrets Manager")
    return value


def typed(key: str, stored: Any) -> Any:
    """A stored value as its declared type (a custom key's JSON as it is); None for a key that is not
    configured (declared without a default, and set nowhere)."""
    declared = DECLARED.get(key)
    if stored is None or declared is None:
        return stored
    return declared.adapter.validate_python(stored)


# --- what a secret looks like ------------------------------------------------------------------------
_SECRET_NAME = re.compile(r"secret|passw|token|api[_-]?key|private|credential|auth", re.IGNORECASE)
_SECRET_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"      # a PEM private key
    r"|\bSG\.[\w-]{16,}\.[\w-]{16,}"           # a SendGrid API key
    r"|\b(AKIA|ASIA)[0-9A-Z]{16}\b"            # an AWS access key id
    r"|\b(sk|rk)_(live|test)_[0-9A-Za-z]{16,}"  # a Stripe-style secret key
    r"|\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+"   # a JWT
    r"|\bxox[abprs]-[\w-]{10,}")                # a Slack token


def looks_secret(key: str, value: Any) -> bool:
    """A key named like a secret, or a value (any string inside it) shaped like a credential."""
    named = category_of(key) == CUSTOM and bool(_SECRET_NAME.search(key))
    return named or bool(_SECRET_VALUE.search(json.dumps(value)))


def reference() -> str:
    """The README's table of declared keys (tests hold the README to it)."""
    rows = ["| key | category | type | default | scopes | what it is |", "|---|---|---|---|---|---|"]
    for d in DECLARED.values():
        default = "none until set" if d.stored_default is None else f"`{json.dumps(d.stored_default)}`"
        rows.append(f"| `{d.key}` | {d.category} | {d.shown} | {default} | {', '.join(d.scopes)} | {d.about} |")
    return "\n".join(rows)

