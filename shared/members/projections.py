"""What members add to the search index (searchMembers) and to the filter index (getMembers).

Search: one token per indexed word (shared.search), in `T#c#SEARCH#MEMBER#<initial>`. The fields
are budgeted in order, so the words a member is looked up by always come first, however long its
names are: member_id, email, phone (digits as dialled: E.164 without "+", the national number, and
its national and international groups), then first, last and full name.

Filters: one small entry per (dimension, value) of a live member, in the table itself (no GSI:
each costs a write per member change, and the stream consumer keeps these in the same transaction
as its marker). PK `T#c#MEMBERS#<DIMENSION>#<value>`, SK `<created_at, 15 digits>#<id>` (the order
of the GSI1 list), except last_active, one partition `T#c#MEMBERS#ACTIVE` sorted by
`<last_active, 15 digits>#<id>`, so a range is one key condition. Dimensions: status, engagement
band (shared.members.bands), acquisition_channel and each tag (free text: folded as search folds
it, so filters ignore case and accents). Tier needs none: GSI2 lists a tier's members whole.

Budget: a projection moves at most projections.MAX_TOKENS entries of one item in a transaction.
"member-filters" holds the four single-valued dimensions and the first 45 tags (sorted), and
"member-tags-more" the rest (at most 5, tags being at most 50), so no member loses an entry.

Referrals: per referring member, one counter item (`T#<c>#MEMBERS#REFERRALS#<member id>`, SK
COUNTER) of the live members it referred (`referrals`) and their total_spend in micros
(`spend_micros`), so getMemberReferrals answers totals over any number of referrals in one read.
A referrer's counter takes only its own referrals' writes: not sharded.

Counters for getMemberStats and getMemberSegments (`T#<c>#COUNTER#MEMBERSTATS`), one read whatever
the number of members:
- `total`, `status_<status>`, `tier_<tier>`, `engagement_<band>`, `spend_<band>` (shared.members.bands),
  `channel_<acquisition_channel>` (the first 50 channels seen by name, the rest `channel_other`): live
  members by each dimension; 16 shards, summed on read;
- `joined_<yyyy-mm>` (the month of created_at) and `active_<yyyy-mm-dd>` (the UTC day of last_active):
  new this month and active in the last 30 days are sums of those fields;
- exact sums for the averages: `sum:spend_micros`, `sum:lifetime_value_micros`,
  `sum:acquisition_cost_micros` (money as integer micros, shared.core.money) with `n:acquisition_cost`,
  `sum:engagement_centi` (engagement_score in hundredths) with `n:scored`, and `n:referred`.
Erasing a member (shared.members.privacy) keeps every field these read, so it changes no counter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shared import search
from shared.core.money import to_micros
from shared.core.months import month_of
from shared.db import projections
from shared.db.table import tenant_key
from shared.entity import DELETED
from shared.members.bands import engagement_band, spend_band
from shared.members.store import (
    ACTIVE,
    BAND,
    CHANNEL,
    STATUS,
    TAG,
    entry_sort,
    filter_partition,
    folded,
    member_tags,
    members_partition,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

FILTER_TAGS = 45  # tags in "member-filters", beside its 4 single-valued entries (≤ MAX_TOKENS)

def token_partition(client_id: str, initial: str) -> str:
    """The search partition of the words starting with `initial` (one character) in a tenant."""
    return tenant_key(client_id, "SEARCH", "MEMBER", initial)


# Words each field adds to the search index: 44 at most, within search.MAX_WORDS.
SEARCH_FIELDS = (("member_id", 8), ("email", 8), ("phone", 8), ("first_name", 6), ("last_name", 6),
                 ("full_name", 8))


def phone_words(e164: str | None) -> str | None:
    """The ways a phone number is typed, as words: "+442079460958" → "442079460958 2079460958
    02079460958 020 7946 0958 44 20 7946 0958"."""
    if not e164:
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    digits = lambda text: "".join(c for c in text if c.isdigit())  # noqa: E731
    return " ".join((digits(e164), str(number.national_number), digits(national), national, international))


def field_text(member: dict, name: str) -> str | None:
    """A searchable field's text as it is indexed (the phone as its ways of being typed)."""
    return phone_words(member.get("phone")) if name == "phone" else member.get(name)


def search_words(member: dict) -> list[str]:
    """The words a member is found by, each field within its budget, in SEARCH_FIELDS order."""
    return search.indexed_words(*((field_text(member, name), budget) for name, budget in SEARCH_FIELDS))


@projections.search_index("MEMBER", "member-search")
def member_search(member: dict) -> set[tuple[str, str]]:
    """A token for each indexed word of a live member."""
    if member.get("deleted_at"):
        return set()
    return search.tokens(lambda initial: token_partition(member["client_id"], initial), search_words(member),
                         member["id"])


@projections.search_index("MEMBER", "member-filters")
def member_filters(member: dict) -> set[tuple[str, str]]:
    """Entries for status, engagement band, acquisition channel, last_active and the first 45 tags."""
    if member.get("deleted_at"):
        return set()
    tenant, sort = member["client_id"], entry_sort(member["created_at"], member["id"])
    out = {(filter_partition(tenant, STATUS, member["status"]), sort),
           (filter_partition(tenant, BAND, engagement_band(member.get("engagement_score"))), sort)}
    if member.get("acquisition_channel") and folded(member["acquisition_channel"]):
        out.add((filter_partition(tenant, CHANNEL, folded(member["acquisition_channel"])), sort))
    if member.get("last_active") is not None:
        out.add((filter_partition(tenant, ACTIVE), entry_sort(member["last_active"], member["id"])))
    out.update((filter_partition(tenant, TAG, tag), sort) for tag in member_tags(member)[:FILTER_TAGS])
    return out


@projections.search_index("MEMBER", "member-tags-more")
def member_tags_more(member: dict) -> set[tuple[str, str]]:
    """Entries for the tags past the first 45 (a member has at most 50)."""
    if member.get("deleted_at"):
        return set()
    sort = entry_sort(member["created_at"], member["id"])
    return {(filter_partition(member["client_id"], TAG, tag), sort) for tag in member_tags(member)[FILTER_TAGS:]}



def referrals_key(client_id: str, member_id: str) -> str:
    """The counter item of the members `member_id` referred."""
    return members_partition(client_id, "REFERRALS", member_id)


@projections.counter("MEMBER", "member-referrals")
def referral_totals(member: dict) -> projections.Contribution:
    """A live referred member adds itself and its spend to its referrer's counter."""
    if member.get("deleted_at") or not member.get("referred_by"):
        return {}
    return {referrals_key(member["client_id"], member["referred_by"]):
            {"referrals": 1, "spend_micros": to_micros(member.get("total_spend") or 0)}}


# --- counters (getMemberStats, getMemberSegments) ------------------------------------------------------
STATS = "MEMBERSTATS"
DIMENSIONS = {"status": "status", "tier": "tier", "engagement_band": "engagement", "spend_band": "spend",
              "acquisition_channel": "channel"}  # attribute → counter field prefix
CLOSED = {k: v for k, v in DIMENSIONS.items() if k != "acquisition_channel"}
# Every member write of a tenant lands on this counter: spread over 16 items (about 16,000 writes a
# second), read as one BatchGetItem. acquisition_channel is free text: the first CHANNELS values seen
# are counted by name, the rest as "channel_other", so an import cannot make a million fields.
SHARDS = 16
CHANNELS = 50


def stats_key(client_id: str) -> str:
    return tenant_key(client_id, "COUNTER", STATS)


def day_of(epoch_ms: int | float) -> str:
    """The UTC day of an epoch-milliseconds time, `yyyy-mm-dd` (the key of `active_` fields)."""
    return datetime.fromtimestamp(int(epoch_ms) / 1000, UTC).strftime("%Y-%m-%d")


@projections.counter("MEMBER", "member-stats", shards=SHARDS)
def member_stats(member: dict) -> projections.Contribution:
    """One per live member: total, each dimension's value, its join month, its last active day, and
    what it adds to the sums behind the averages."""
    score, spend = member.get("engagement_score"), member.get("total_spend")
    banded = {**member, "engagement_band": engagement_band(score), "spend_band": spend_band(spend)}
    contribution = projections.tally(banded, stats_key(member["client_id"]), CLOSED,
                                     open_categories={"acquisition_channel": ("channel", CHANNELS)})
    if not contribution:
        return contribution
    fields = contribution[stats_key(member["client_id"])]
    fields[f"joined_{month_of(member['created_at'])}"] = 1
    if member.get("last_active") is not None:
        fields[f"active_{day_of(member['last_active'])}"] = 1
    sums = {"sum:spend_micros": to_micros(spend or 0),
            "sum:lifetime_value_micros": to_micros(member.get("lifetime_value") or 0),
            "sum:acquisition_cost_micros": to_micros(member.get("acquisition_cost") or 0),
            "n:acquisition_cost": int(member.get("acquisition_cost") is not None),
            "sum:engagement_centi": round(float(score) * 100) if score is not None else 0,
            "n:scored": int(score is not None), "n:referred": int(bool(member.get("referred_by")))}
    fields.update({name: n for name, n in sums.items() if n})
    return contribution


@projections.counted_items("MEMBER")
def members(client_id: str | None) -> Iterator[dict]:
    """Every member of the tenant, live and soft-deleted (the two GSI1 list partitions)."""
    if client_id is not None:
        yield from projections.query_images(members_partition(client_id), index="GSI1")
        yield from projections.query_images(members_partition(client_id, DELETED), index="GSI1")
