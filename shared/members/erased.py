"""The store of erasure proofs: what is left of an erased member's email and phone.

One item per erased value: PK `T#<c>#ERASED#<kind>#<keyed hash>`, SK `ERASED`, naming the member and
when. The hash is KMS's HMAC of the tenant and the normalised value (shared.members.privacy), so the
item says nothing without the key, and a later "is this address one we erased?" is one GetItem.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared.db.table import Item, tenant_key


def proof_key(client_id: str, kind: str, digest: str) -> str:
    return tenant_key(client_id, "ERASED", kind, digest)


class ErasedContact(Item, discriminator="ERASED_CONTACT"):
    client_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # email | phone
    member = UnicodeAttribute()  # the erased member's id
    erased_at = NumberAttribute()

    def keys(self):
        return {"SK": "ERASED"}


def proof(client_id: str, kind: str, digest: str, member: str, at: int) -> ErasedContact:
    """The proof item to write with the erasure (a second erasure of the same value writes it again)."""
    return ErasedContact(PK=proof_key(client_id, kind, digest), client_id=client_id, kind=kind, member=member,
                         erased_at=at)


def held(client_id: str, kind: str, digest: str) -> bool:
    """Whether an erased member of the tenant had this value: one GetItem."""
    try:
        ErasedContact.get(proof_key(client_id, kind, digest), "ERASED")
    except ErasedContact.DoesNotExist:
        return False
    return True
