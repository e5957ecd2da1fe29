"""Uniqueness claims: one item per unique value, written in the same transaction as its owner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import UnicodeAttribute

from shared.db.table import Item
from shared.errors import Duplicate

if TYPE_CHECKING:
    from shared.db.tx import Tx


class Claim(Item, discriminator="CLAIM"):
    """`PK` is the claimed value's key (e.g. `P#EMAIL#ann@x.com`); it points at its owner."""

    owner_pk = UnicodeAttribute()
    owner_sk = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)

    def keys(self):
        return {"SK": "CLAIM"}


def claim(tx: Tx, key: str, owner: Item, field: str, client_id: str | None = None) -> None:
    """Add a claim of `key` for `owner`; the transaction fails with Duplicate(field) if it is taken."""
    owner.derive_keys()
    item = Claim(PK=key, owner_pk=owner.PK, owner_sk=owner.SK, client_id=client_id)
    tx.put(item, condition=Claim.PK.does_not_exist(),
           on_fail=Duplicate(f"{field.rsplit('/', 1)[-1]} is already taken", field=field))


def release(tx: Tx, key: str) -> None:
    tx.delete(Claim(PK=key, SK="CLAIM"))


def lookup(key: str) -> Claim | None:
    try:
        return Claim.get(key, "CLAIM")
    except Claim.DoesNotExist:
        return None
