"""Member shapes, one module per kind of operation, so a handler builds only the pydantic models it
uses. This package file holds the field types they share: the seed's enums, and the checks a time
zone (an IANA zone) and a language (a BCP 47 tag) must pass, which name the field when they fail."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

Tier = Literal["basic", "premium", "elite", "executive"]
TIERS: tuple[str, ...] = ("basic", "premium", "elite", "executive")  # the upgrade order
MemberStatus = Literal["active", "inactive", "pending", "suspended", "churned"]
Gender = Literal["male", "female", "other", "prefer_not_to_say"]
Money = Field(None, ge=0, max_digits=14, decimal_places=4)
Epoch = Field(None, ge=0, le=32503680000000, description="epoch milliseconds")


def _iana_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (such as Europe/Paris)") from None
    return name


def _bcp47(tag: str) -> str:
    import langcodes

    if not langcodes.tag_is_valid(tag):
        raise ValueError(f"{tag!r} is not a BCP 47 language tag (such as en, pt-BR)")
    return langcodes.standardize_tag(tag)


TimeZone = Annotated[str, Field(min_length=1, max_length=64, description="an IANA time zone"),
                     AfterValidator(_iana_zone)]
Language = Annotated[str, Field(min_length=2, max_length=35, description="a BCP 47 language tag"),
                     AfterValidator(_bcp47)]
