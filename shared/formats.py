"""Formats of values the API accepts, defined once."""

from functools import lru_cache

# An email address providers can deliver to: RFC 5322 "dot-atom" local part, ASCII letters, digits
# and hyphens in the domain labels, a dot-separated domain. Looser patterns let through addresses
# (control characters, ':' or '?', half UTF-16 pairs) that SendGrid's own SDK then fails to parse.
EMAIL_PATTERN = (r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                 r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names (from the tzdata the runtime ships); "localtime" is this machine's own
    zone file, no IANA name."""
    from zoneinfo import available_timezones

    return frozenset(available_timezones() - {"localtime"})
