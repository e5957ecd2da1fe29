"""Phone numbers in E.164, with the `phonenumbers` library. A number without `+` is read in the
tenant's default country (the client's `default_country`, else US)."""

from __future__ import annotations

from shared.errors import NotFound, ValidationFailed

DEFAULT_COUNTRY = "US"


def to_e164(raw: str, client_id: str | None, field: str, country: str | None = None) -> str:
    """`country` (when known, e.g. the client being written) spares reading the tenant's setting."""
    import phonenumbers

    region = None if raw.strip().startswith("+") else (country or _country_of(client_id))
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(f"not a phone number: {exc}", field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("not a valid phone number", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _country_of(client_id: str | None) -> str:
    if not client_id:
        return DEFAULT_COUNTRY
    from shared.clients import store as clients

    try:
        return clients.get(client_id).default_country or DEFAULT_COUNTRY
    except NotFound:  # a super_admin naming no live tenant: the documented fallback
        return DEFAULT_COUNTRY
