"""The members store: the only code that knows how a member is keyed.

A member lives in its own partition under its tenant (`T#<client>#MEMBER#<id>`, SK `MEMBER`).
Unique within the tenant, each through a claim written in the same transaction as the member:
`member_id` (as given), `email` (lower-cased) and `referral_code` (upper-cased). A soft delete
releases the three claims.

| access pattern                               | index | key condition                                              |
|----------------------------------------------|-------|------------------------------------------------------------|
| member by id                                 | table | PK = `T#c#MEMBER#<id>`, SK = `MEMBER`                      |
| member by member_id / email / referral code  | table | claim PK = `T#c#MEMBERID#<member_id>` / `T#c#MEMBEREMAIL#<email>` / `T#c#REFERRALCODE#<code>`, then the member |
| members of a tenant, newest first            | GSI1  | GSI1PK = `T#c#MEMBERS`, GSI1SK = `<created_at>#<id>`       |
| soft-deleted members (include_deleted)       | GSI1  | GSI1PK = `T#c#MEMBERS#DELETED`                              |
| members of one tier (getMembersByTier)       | GSI2  | GSI2PK = `T#c#MEMBERS#TIER#<tier>`, GSI2SK as GSI1SK       |
| members one member referred (getMemberReferrals) | GSI3 (sparse) | GSI3PK = `T#c#MEMBERS#REFERRED_BY#<member id>`, GSI3SK as GSI1SK |

| members by status / engagement band / acquisition channel / tag | table (filter index) | PK = `T#c#MEMBERS#STATUS#<status>` / `#BAND#<band>` / `#CHANNEL#<folded>` / `#TAG#<folded>`, SK = `<created_at>#<id>`, then BatchGetItem of the members |
| members active in a range (last_active)      | table (filter index) | PK = `T#c#MEMBERS#ACTIVE`, SK BETWEEN `<from>` AND `<to>~` (`<last_active>#<id>`), then BatchGetItem |

GSI2 and GSI3 hold live members only. The filter index (entries kept by the stream consumer,
shared.members.projections) too: it lags a write by the stream's delay, and a list checks every
member it reads against the filters, so an entry not yet moved is never answered wrongly.

Combined filters (`list_members`): the most selective index leads, by the fixed order of LEAD
(a tag or a channel names few members; a status most of them); the other filters are checked on
the members read, within query.MAX_ITEMS_READ rows and query.MAX_CALLS queries, so a rare
combination answers a short page with a cursor rather than reading on.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from shared import search
from shared.db import claims, query
from shared.db.attributes import DecimalAttribute
from shared.db.table import tenant_key
from shared.entity import Entity, EntityStore, Unique
from shared.errors import NotFound


def member_key(client_id: str, member_id: str) -> str:
    return tenant_key(client_id, "MEMBER", member_id)


def members_partition(client_id: str, *parts: str) -> str:
    """A list partition of the tenant's members: `T#c#MEMBERS[#...]`."""
    return tenant_key(client_id, "MEMBERS", *parts)


# Dimensions of the filter index, as they appear in its partition keys.
STATUS, BAND, CHANNEL, TAG, ACTIVE = "STATUS", "BAND", "CHANNEL", "TAG", "ACTIVE"


def folded(value: str) -> str:
    """A free-text filter value as it is keyed: folded, its runs of spaces one, at most 100 characters."""
    return " ".join(search.fold(value).split())[:100]


def filter_partition(client_id: str, dimension: str, value: str | None = None) -> str:
    """The filter-index partition of one value of one dimension (ACTIVE: the one partition)."""
    return members_partition(client_id, dimension, *(() if value is None else (value,)))


def entry_sort(created_at: int | float, member_id: str) -> str:
    return f"{int(created_at):015d}#{member_id}"


def member_tags(member: dict) -> list[str]:
    """The member's distinct tags as the filter index keys them, sorted."""
    return sorted({folded(t) for t in member.get("tags") or [] if folded(t)})



def member_id_key(client_id: str, member_id: str) -> str:
    return tenant_key(client_id, "MEMBERID", member_id)


def email_key(client_id: str, email: str) -> str:
    return tenant_key(client_id, "MEMBEREMAIL", email.strip().lower())


def referral_code_key(client_id: str, code: str) -> str:
    return tenant_key(client_id, "REFERRALCODE", code.strip().upper())


class Member(Entity, discriminator="MEMBER"):
    what, resource = "member", "members"
    unique = (Unique("member_id", lambda value, m: member_id_key(m.client_id, value)),
              Unique("email", lambda value, m: email_key(m.client_id, value)),
              Unique("referral_code", lambda value, m: referral_code_key(m.client_id, value)))

    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)
    member_id = UnicodeAttribute()
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    full_name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    date_of_birth = NumberAttribute(null=True)
    gender = UnicodeAttribute(null=True)
    tier = UnicodeAttribute()
    status = UnicodeAttribute()
    engagement_score = NumberAttribute(null=True)
    total_spend = DecimalAttribute(null=True)
    lifetime_value = DecimalAttribute(null=True)
    acquisition_channel = UnicodeAttribute(null=True)
    acquisition_cost = DecimalAttribute(null=True)
    last_active = NumberAttribute(null=True)
    location = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    preferences = JSONAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    notes = UnicodeAttribute(null=True)
    social_profiles = JSONAttribute(null=True)
    communication_preferences = JSONAttribute(null=True)
    permissions = JSONAttribute(null=True)
    referral_code = UnicodeAttribute(null=True)
    referred_by = UnicodeAttribute(null=True)
    erased_at = NumberAttribute(null=True)  # eraseMember: its personal fields are gone (shared.members.privacy)

    @classmethod
    def key(cls, tenant: str | None, item_id: str) -> tuple[str, str]:
        return member_key(tenant or "", item_id), "MEMBER"

    def keys(self):
        created = f"{int(self.created_at):015d}#{self.id}"
        live = not self.deleted_at
        referred = live and self.referred_by is not None
        return {"PK": member_key(self.client_id, self.id), "SK": "MEMBER",
                "GSI1PK": self.listing(members_partition(self.client_id)), "GSI1SK": created,
                "GSI2PK": members_partition(self.client_id, "TIER", self.tier) if live else None,
                "GSI2SK": created if live else None,
                "GSI3PK": members_partition(self.client_id, "REFERRED_BY", self.referred_by) if referred else None,
                "GSI3SK": created if referred else None}


members = EntityStore(Member)
create, batch_get, update, soft_delete = members.create, members.batch_get, members.update, members.soft_delete


def get(client_id: str, member_id: str, include_deleted: bool = False) -> Member:
    return members.get(client_id, member_id, include_deleted=include_deleted)


def find_by_claim(claim_key: str) -> Member | None:
    """The live member holding a claim (member_id, email or referral code), or None: two reads."""
    claim = claims.lookup(claim_key)
    if claim is None or claim.client_id is None:
        return None
    try:
        return get(claim.client_id, claim.owner_pk.rsplit("#", 1)[-1])
    except NotFound:
        return None


@dataclass(frozen=True)
class Filters:
    """What getMembers narrows the list to; None: not filtered on."""

    tier: str | None = None
    status: str | None = None
    engagement_band: str | None = None
    acquisition_channel: str | None = None
    tag: str | None = None
    last_active_from: int | None = None
    last_active_to: int | None = None

    @property
    def by_activity(self) -> bool:
        return self.last_active_from is not None or self.last_active_to is not None

    def given(self) -> list[str]:
        """The filters set, as LEAD names them."""
        return [name for name in LEAD if (self.by_activity if name == "last_active" else getattr(self, name))]

    def matches(self, m: Member, live: bool = True) -> bool:
        """Whether the member passes every filter (and, with `live`, is not deleted)."""
        image = m.attribute_values
        return not (live and image.get("deleted_at")) and all(self._passes(name, image) for name in self.given())

    def _passes(self, name: str, image: dict) -> bool:
        from shared.members.bands import engagement_band

        if name == "last_active":
            at = image.get("last_active")
            return at is not None and (self.last_active_from or 0) <= at <= (self.last_active_to or LATEST)
        if name == "tag":
            return folded(self.tag or "") in member_tags(image)
        if name == "acquisition_channel":
            return folded(image.get("acquisition_channel") or "") == folded(self.acquisition_channel or "")
        if name == "engagement_band":
            return engagement_band(image.get("engagement_score")) == self.engagement_band
        return bool(image.get(name) == getattr(self, name))


LATEST = 10**15 - 1  # epoch ms of the end of a last_active range left open


# The index a filtered list reads, most selective first; the rest are checked on what it reads.
LEAD = ("tag", "acquisition_channel", "last_active", "engagement_band", "tier", "status")


def list_members(client_id: str, filters: Filters, *, include_deleted: bool, limit: int,
                 cursor: str | None) -> tuple[list[Member], dict | None]:
    """getMembers: newest first (by last_active, most recent first, when a last_active range
    leads). One index partition is read: the filter index's, GSI2's for a tier, GSI1's unfiltered.
    With `include_deleted` (an admin's audit view) the GSI1 list and its deleted partition are
    merged, the filters checked on what is read."""
    from shared.db.projections import SearchToken

    given = filters.given()
    if include_deleted or not given:
        keep = (lambda m: filters.matches(m, live=False)) if given else None
        return members.page(members_partition(client_id), index="GSI1", include_deleted=include_deleted,
                            limit=limit, cursor=cursor, keep=keep)
    lead = given[0]
    rest = lambda m: filters.matches(m)  # noqa: E731  (the lead too: an entry may lag its member)
    if lead == "tier":
        return query.chunked_page(Member, members_partition(client_id, "TIER", filters.tier or ""), index="GSI2",
                                  limit=limit, cursor=cursor, newest_first=True, keep=rest)
    partition, between = _filter_range(client_id, filters, lead)
    return query.chunked_page(SearchToken, partition, limit=limit, cursor=cursor, sk_between=between, newest_first=True,
                              load=lambda rows: _members_of(client_id, rows), keep=rest)


def _filter_range(client_id: str, filters: Filters, lead: str) -> tuple[str, tuple[str, str] | None]:
    if lead == "last_active":
        low, high = filters.last_active_from or 0, filters.last_active_to or LATEST
        return filter_partition(client_id, ACTIVE), (f"{int(low):015d}", f"{int(high):015d}~")
    dimension, value = {"tag": (TAG, folded(filters.tag or "")),
                        "acquisition_channel": (CHANNEL, folded(filters.acquisition_channel or "")),
                        "engagement_band": (BAND, filters.engagement_band or ""),
                        "status": (STATUS, filters.status or "")}[lead]
    return filter_partition(client_id, dimension, value), None


def _members_of(client_id: str, rows: list) -> list[Member | None]:
    """The members filter-index entries name, aligned with them (None where gone): one BatchGetItem."""
    ids = [row.SK.rpartition("#")[2] for row in rows]
    found = {m.id: m for m in batch_get(client_id, ids)}
    return [found.get(i) for i in ids]
def referred_by(client_id: str, member_id: str, *, limit: int, cursor: str | None) -> tuple[list[Member], dict | None]:
    """The live members `member_id` referred, newest first: one query of GSI3."""
    return members.page(members_partition(client_id, "REFERRED_BY", member_id), index="GSI3", limit=limit,
                        cursor=cursor)
