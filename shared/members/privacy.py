"""Privacy requests about one member: eraseMember (GDPR art. 17, CCPA deletion) and exportMember
(GDPR art. 15 access, art. 20 portability). Both admin-only (`members:privacy`).

Erasure keeps the member as an anonymous record so the tenant's figures stay as they were:
- removed from the member item: ERASED_FIELDS (names, email, phone, birth date, gender, location,
  time zone, language, preferences, tags, notes, social profiles, communication preferences,
  permissions, the linked user, the referral code). Their claims go with them (email, referral code:
  both free for another member); their search tokens and filter entries follow the item through
  the stream projections.
- kept: the id and `member_id` (the tenant's own pseudonymous key, which its other systems quote back
  and which still resolves the erased record), tier, status, spend, lifetime value, engagement,
  acquisition channel and cost, last active, referred_by, the timestamps. These are all the member
  counters read, so no counter or aggregate moves (getMemberStats, getMemberSegments, referrals).
- every domain's personal data about the member (shared.db.personal_data: activity metadata, past
  audit values, and what later domains declare, such as the addresses on its communications).
- of the email and phone, only a keyed hash: HMAC-SHA-256 by a KMS key (ErasureKey, which never
  leaves KMS) of tenant id, kind and normalised value, so no hash is stored with what it takes to
  recompute it and the same address in another tenant hashes differently. `matches_erased` answers
  whether an address belonged to an erased member (an opt-out proof) from the hash alone.
The erasure's own audit entry names the erased fields with their values redacted. Erasing twice
changes nothing the second time; a failure part-way is finished by erasing again. A soft-deleted
member is erased too (its claims were released by the delete and are left alone).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.core import settings
from shared.db import personal_data
from shared.members import erased, store
from shared.members.service import tenant_of, to_e164

if TYPE_CHECKING:
    from shared.core.actor import Scope
    from shared.db.tx import Tx

ERASED_FIELDS = frozenset({
    "user_id", "first_name", "last_name", "full_name", "email", "phone", "date_of_birth", "gender", "location",
    "timezone", "language", "preferences", "tags", "notes", "social_profiles", "communication_preferences",
    "permissions", "referral_code"})
HASHED = ("email", "phone")  # what an erasure proof is kept of


def erase_member(scope: Scope, member_id: str, expected_version: int | None = None) -> dict:
    """eraseMember: the member's personal data removed everywhere it is held (module docstring)."""
    tenant, at = tenant_of(scope), clock.now_ms()
    before = store.get(tenant, member_id, include_deleted=True)
    changes: dict[str, Any] = {**{name: None for name in ERASED_FIELDS}, "erased_at": before.erased_at or at}

    def proofs(tx: Tx, member: store.Member, changed: dict) -> None:
        for kind in HASHED:
            value = getattr(member, kind)
            if value is not None:
                tx.put(erased.proof(tenant, kind, _digest(tenant, kind, value), member.id, at))

    member = store.update(tenant, member_id, changes, actor=scope.actor, operation="eraseMember",
                          expected_version=expected_version, extra=proofs, deleted_too=True, conceal=ERASED_FIELDS)
    elsewhere = {source.kind: source.erase(tenant, member.id) for source in personal_data.sources()}
    return {"id": member.id, "member_id": member.member_id, "erased_at": member.erased_at,
            "fields_erased": sorted(name for name in ERASED_FIELDS if getattr(before, name) is not None),
            "items_changed": elsewhere, "version": member.version}


def export_member(scope: Scope, member_id: str) -> dict:
    """exportMember: everything held about the member, as JSON: the member as the API shows it and each
    domain's personal data about it (activity, audit entries, ...)."""
    tenant = tenant_of(scope)
    member = store.get(tenant, member_id, include_deleted=True)
    return {"client_id": tenant, "exported_at": clock.now_ms(), "member": member.public(),
            "data": {source.kind: list(source.export(tenant, member.id)) for source in personal_data.sources()}}


def matches_erased(tenant: str, email: str | None = None, phone: str | None = None) -> bool:
    """Whether the email or phone (either given) belonged to a member of the tenant since erased: one
    HMAC from KMS and one GetItem per value. The phone is read as createMember reads it (E.164)."""
    given = {"email": email, "phone": to_e164(phone, tenant, field="phone") if phone else None}
    return any(erased.held(tenant, kind, _digest(tenant, kind, value)) for kind, value in given.items() if value)


def _digest(tenant: str, kind: str, value: str) -> str:
    """The keyed hash of one value: KMS HMAC-SHA-256 of tenant, kind and the normalised value."""
    from shared.core import aws

    normalised = value.strip().lower() if kind == "email" else value
    mac = aws.client("kms").generate_mac(KeyId=settings.ERASURE_KEY_ID.get(), MacAlgorithm="HMAC_SHA_256",
                                         Message=f"{tenant}\x00{kind}\x00{normalised}".encode())["Mac"]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")
