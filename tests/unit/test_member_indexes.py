"""What a member puts in the search and filter indexes: the words it is found by (however many words
its names have), its filter entries (every tag, within each projection's transaction budget), and
the bands, declared once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.db.projections import MAX_TOKENS
from shared.members import bands
from shared.members.projections import member_filters, member_search, member_tags_more, search_words

TENANT = "01JTENANT000000000000000000"


def _member(**fields) -> dict:
    return {"id": "01JMEMBER00000000000000000", "client_id": TENANT, "member_id": "GYM-0042", "status": "active",
            "tier": "basic", "created_at": 1_700_000_000_000, **fields}


@pytest.mark.parametrize(("score", "band"), [(None, "none"), (0, "cold"), (19.9, "cold"), (20, "cool"), (39, "cool"),
                                             (40, "warm"), (69.99, "warm"), (70, "hot"), (100, "hot")])
def test_engagement_bands(score, band):
    assert bands.engagement_band(score) == band


@pytest.mark.parametrize(("spend", "band"), [(None, "none"), (0, "zero"), (Decimal("0.99"), "zero"), (1, "low"),
                                             (250, "medium"), (999, "medium"), (1000, "high"), (5000, "vip")])
def test_spend_bands(spend, band):
    assert bands.spend_band(spend) == band


def test_a_member_with_very_long_names_is_still_found_by_its_identifiers():
    many = " ".join(f"w{i}" for i in range(60))
    member = _member(email="zoe.smith@example.com", phone="+442079460958", first_name=many, last_name=many,
                     full_name=many)
    found = search_words(member)
    for word in ("gym", "0042", "zoe", "smith", "example", "442079460958", "2079460958", "02079460958", "7946",
                 "w0"):
        assert word in found, word
    assert len(member_search(member)) <= MAX_TOKENS


def test_every_tag_has_an_entry_within_each_projections_budget():
    tags = [f"Tag {i:02d}" for i in range(50)]
    member = _member(tags=tags, acquisition_channel="Référral  Web", last_active=1_700_000_100_000,
                     engagement_score=72)
    first, rest = member_filters(member), member_tags_more(member)
    assert len(first) <= MAX_TOKENS and len(rest) <= MAX_TOKENS
    partitions = {pk for pk, _ in first | rest}
    assert {f"T#{TENANT}#MEMBERS#TAG#tag {i:02d}" for i in range(50)} <= partitions
    assert {f"T#{TENANT}#MEMBERS#STATUS#active", f"T#{TENANT}#MEMBERS#BAND#hot",
            f"T#{TENANT}#MEMBERS#CHANNEL#referral web"} <= partitions
    assert (f"T#{TENANT}#MEMBERS#ACTIVE", f"{1_700_000_100_000:015d}#{member['id']}") in first
    # Reordering the tags moves no entry; a deleted member has none.
    assert member_filters({**member, "tags": list(reversed(tags))}) == first
    assert member_filters({**member, "deleted_at": 1}) == set() == member_tags_more({**member, "deleted_at": 1})
