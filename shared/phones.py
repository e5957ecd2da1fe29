"""Phone numbers in E.164, with the `phonenumbers` library. A number without `+` is read in the
country given (the tenant's `default_country`, which the caller looks up only when needed), else US."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.errors import ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_COUNTRY = "US"


def to_e164(raw: str, field: str, country: str | Callable[[], str | None] | None = None) -> str:
    """`country` may be a function, called only for a number written without `+`."""
    import phonenumbers

    region = None
    if not raw.strip().startswith("+"):
        region = (country() if callable(country) else country) or DEFAULT_COUNTRY
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(f"not a phone number: {exc}", field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("not a valid phone number", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

