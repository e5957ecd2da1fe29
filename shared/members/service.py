"""Member operations (seed section 3), with the rights of the rights table (shared.core.rights).

The decorator has let the caller in and resolved the tenant it acts in (another tenant's member is
simply not found there: 404). Unique within the tenant: member_id, email (case-insensitive) and
referral_code (upper-cased; generated when absent). Phones are stored in E.164, read in the
tenant's default country when written without `+`.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from shared import phones
from shared.core.paging import page
from shared.errors import Conflict, Duplicate, NotFound, ValidationFailed
from shared.ids import new_id
from shared.members import store

if TYPE_CHECKING:
    from collections.abc import Callable

    from shared.core.actor import Scope

# No 0/O, 1/I/L: a code is read out over the phone and typed back.
REFERRAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERRAL_LENGTH = 8
_GENERATED_ATTEMPTS = 4  # 31^8 codes: a collision is rare, two in a row rarer still


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_LENGTH))


def get_member(scope: Scope, member_id: str, include_deleted: bool = False) -> dict:
    """getMemberById (the other domains read a member through this too)."""
    return store.get(tenant_of(scope), member_id,
                     include_deleted=store.members.deleted_allowed(scope, include_deleted)).public()


def get_member_by_member_id(scope: Scope, member_id: str) -> dict:
    """getMemberByMemberId: the tenant's member_id claim, then the member (two reads)."""
    return _claimed(store.member_id_key(tenant_of(scope), member_id))


def get_member_by_email(scope: Scope, email: str) -> dict:
    """getMemberByEmail: case-insensitive, through the email claim (two reads)."""
    return _claimed(store.email_key(tenant_of(scope), email))


def _claimed(claim_key: str) -> dict:
    member = store.find_by_claim(claim_key)
    if member is None:
        raise NotFound("member not found")
    return member.public()


def list_members(scope: Scope, q: Any, tier: str | None = None) -> dict:
    """getMembers / getMembersByTier: newest first, narrowed by the query's filters, each read by
    index (store.list_members says which leads when several are given)."""
    tenant = tenant_of(scope)
    fields = q.model_dump(include=set(store.Filters.__dataclass_fields__))
    filters = store.Filters(**{**fields, **({"tier": tier} if tier else {})})
    items, last = store.list_members(tenant, filters, include_deleted=store.members.deleted_allowed(
        scope, q.include_deleted), limit=q.limit, cursor=q.cursor)
    return page(items, last, lambda m: m.public())


def search_members(scope: Scope, q: Any) -> dict:
    """searchMembers: every word of `q` a prefix of a word of the member_id, email, phone or names,
    case- and accent-insensitive (shared.search.page: one query of tokens, one BatchGetItem of
    members); the page ranked by `search_rank`."""
    from shared import search
    from shared.members.projections import search_words, token_partition

    tenant = tenant_of(scope)
    hits, last = search.page(lambda initial: token_partition(tenant, initial), q.q, limit=q.limit, cursor=q.cursor,
                             load=lambda ids: [m for m in store.batch_get(tenant, ids) if not m.deleted_at],
                             words_of=lambda m: search_words(m.attribute_values), rank=search_rank)
    return page(hits, last, lambda m: m.public())


def search_rank(member: store.Member, terms: list[str]) -> tuple:
    """Exact matches first (the query is the whole member_id, email, phone or full name), then
    matches in member_id, in email, in a name, in the phone; most recently active first within each."""
    from shared import search
    from shared.members.projections import field_text

    query = sorted(terms)
    whole = [member.member_id, member.email, member.phone and member.phone.lstrip("+"),
             member.full_name or " ".join(filter(None, (member.first_name, member.last_name)))]
    exact = any(value and sorted(search.words(value)) == query for value in whole)
    values = member.attribute_values
    fields = (("member_id",), ("email",), ("first_name", "last_name", "full_name"), ("phone",))
    where = next((n for n, names in enumerate(fields)
                  if any(w.startswith(terms[0]) for name in names for w in search.words(field_text(values, name)))),
                 len(fields))
    return (0 if exact else 1, where, -(member.last_active or 0))


def create_member(scope: Scope, body: Any) -> dict:
    """createMember: member_id, email and referral_code unique in the tenant (409 naming the field);
    a referral code is generated when none is given; `referred_by` must be a live member."""
    tenant = tenant_of(scope)
    fields = body.model_dump(exclude_none=True)
    member = store.Member(id=new_id(), client_id=tenant, **fields)
    normalise(member, tenant)
    if member.referred_by is not None:
        _referrer(tenant, member.referred_by)
    if member.referral_code is not None:
        return store.create(member, scope.actor, "createMember").public()
    for attempt in range(_GENERATED_ATTEMPTS):
        member.referral_code = new_referral_code()
        try:
            return store.create(member, scope.actor, "createMember").public()
        except Duplicate as exc:
            if exc.field != "/body/referral_code" or attempt == _GENERATED_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def normalise(member: store.Member, tenant: str, fields: tuple[str, ...] | None = None,
              country: Callable[[], str | None] | None = None) -> None:
    """Email lower-cased, referral code upper-cased, phone to E.164 (400 naming /body/phone).
    `country` gives the tenant's default country (an import reads it once, not per row)."""
    names = [n for n in NORMALISED if fields is None or n in fields]
    for name, value in normalised({n: getattr(member, n) for n in names}, tenant, country).items():
        setattr(member, name, value)


NORMALISED = ("email", "referral_code", "phone")


def normalised(fields: dict[str, Any], tenant: str, country: Callable[[], str | None] | None = None) -> dict[str, Any]:
    """`fields` with email, referral_code and phone as they are stored (the others as given)."""
    out = dict(fields)
    if out.get("email"):
        out["email"] = out["email"].strip().lower()
    if out.get("referral_code"):
        out["referral_code"] = out["referral_code"].strip().upper()
    if out.get("phone"):
        out["phone"] = to_e164(out["phone"], tenant, country=country)
    return out


def to_e164(raw: str, tenant: str, field: str = "/body/phone",
            country: Callable[[], str | None] | None = None) -> str:
    from shared.clients.service import default_country  # read only for a number without "+"

    return phones.to_e164(raw, field, country=country or (lambda: default_country(tenant)))


def _referrer(tenant: str, referrer_id: str) -> store.Member:
    try:
        return store.get(tenant, referrer_id)
    except NotFound:
        raise ValidationFailed("referred_by names no member of this client", field="/body/referred_by") from None


def tenant_of(scope: Scope) -> str:
    """The tenant every member operation acts in (Scope.tenant_required)."""
    return scope.tenant_required()


# Fields a member needs: a PATCH may change them but never remove them.
KEPT = ("member_id", "status")
MAX_REFERRAL_CHAIN = 16  # referrers followed up looking for a cycle (a read each)


def update_member(scope: Scope, member_id: str, body: Any, expected_version: int | None = None) -> dict:
    """updateMember: the fields given (null removes one); a changed member_id, email or referral
    code moves its claim (409 naming the field when another member holds it); email and phone
    normalised as on create. `referred_by` must be another live member whose own chain of
    referrers does not lead back to this one. The tier changes through upgradeMemberTier only."""
    tenant = tenant_of(scope)
    changes = normalised(body.model_dump(exclude_unset=True), tenant)
    kept = [name for name in KEPT if name in changes and changes[name] is None]
    if kept:
        raise ValidationFailed(f"{kept[0]} cannot be removed", field=f"/body/{kept[0]}")
    if changes.get("referred_by") is not None:
        _check_referrer(tenant, member_id, changes["referred_by"])
    return store.update(tenant, member_id, changes, actor=scope.actor, operation="updateMember",
                        expected_version=expected_version).public()


def _check_referrer(tenant: str, member_id: str, referrer_id: str) -> None:
    """No member refers itself, and no referral chain is a loop: the referrer's referrers, followed
    up to MAX_REFERRAL_CHAIN of them, never reach this member."""
    if referrer_id == member_id:
        raise ValidationFailed("a member cannot refer itself", field="/body/referred_by")
    current: store.Member | None = _referrer(tenant, referrer_id)
    for _ in range(MAX_REFERRAL_CHAIN):
        if current is None or current.referred_by is None:
            return
        if current.referred_by == member_id:
            raise Conflict("referred_by would make a referral loop: that member was referred through this one",
                           field="/body/referred_by")
        try:
            current = store.get(tenant, current.referred_by)
        except NotFound:
            current = None


def delete_member(scope: Scope, member_id: str, expected_version: int | None = None) -> None:
    """deleteMember: soft delete; its member_id, email and referral code are free again, and the
    stream consumer drops its search tokens and filter entries."""
    store.soft_delete(tenant_of(scope), member_id, actor=scope.actor, operation="deleteMember",
                      expected_version=expected_version)


def bulk_update(scope: Scope, body: Any, expected_version: int | None = None) -> dict:
    """bulkUpdateMembers: each update on its own, with its own result; an item's `version` (or else
    the request's If-Match) must still be current."""
    from shared.core import bulk

    return bulk.each(body.updates, lambda e: update_member(scope, e.id, e.changes,
                                                           bulk.version_of(e, expected_version)))


# --- for the provider callbacks (no caller: a member wrote to the tenant) ------------------------
def find_by_phone(tenant: str, e164: str) -> dict | None:
    """The live member of `tenant` whose phone is `e164`, or None (the most recently active of several):
    one query of the search tokens of its digits, one BatchGetItem. Follows the stream's projection."""
    from shared import search
    from shared.members.projections import search_words, token_partition

    digits = "".join(c for c in e164 if c.isdigit())
    if not digits:
        return None
    hits, _ = search.page(lambda initial: token_partition(tenant, initial), digits, limit=20, cursor=None,
                          load=lambda ids: [m for m in store.batch_get(tenant, ids) if not m.deleted_at],
                          words_of=lambda m: search_words(m.attribute_values))
    same = [m for m in hits if m.phone == e164]
    return max(same, key=lambda m: m.last_active or 0).public() if same else None


def mark_active(tenant: str, member_id: str, at: int, operation: str) -> None:
    """Move the member's last_active to `at`, forwards only (a late message never moves it back)."""
    store.update(tenant, member_id, lambda m: {"last_active": at} if m.last_active is None or at > m.last_active
                 else {}, actor=None, operation=operation)
