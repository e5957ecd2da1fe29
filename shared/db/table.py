"""The single table: one base item, a subclass per entity, keys derived from fields.

Key design lives here and in each store's `keys()`; ACCESS_PATTERNS.md beside this file lists
every pattern. Tenant-scoped keys begin `T#<client_id>#`; the few platform items begin `P#`.
"""

from __future__ import annotations

from pynamodb.attributes import (
    DiscriminatorAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from shared.core import settings


class _TableNameFromSettings:
    """Read TABLE_NAME when first used, not at import (PynamoDB reads `Meta.table_name` lazily)."""

    def __get__(self, obj, owner=None) -> str:
        return settings.TABLE_NAME.get()


def tenant_key(client_id: str, *parts: str) -> str:
    """`T#<client_id>#PART#...`: every tenant-scoped key, GSI keys included, starts here."""
    if not client_id:
        raise ValueError("a tenant-scoped key needs a client_id")
    return "#".join(("T", client_id, *parts))


def platform_key(*parts: str) -> str:
    return "#".join(("P", *parts))


class GSI1(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class GSI2(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    GSI2PK = UnicodeAttribute(hash_key=True)
    GSI2SK = UnicodeAttribute(range_key=True)


class GSI3(GlobalSecondaryIndex):
    """Sparse: only items with a date-ordered platform listing set it (clients by contract_end)."""

    class Meta:
        index_name = "GSI3"
        projection = AllProjection()

    GSI3PK = UnicodeAttribute(hash_key=True)
    GSI3SK = UnicodeAttribute(range_key=True)


class Item(Model):
    """Base of every stored item. Subclasses implement `keys()`; keys are set on every write."""

    class Meta:
        table_name = _TableNameFromSettings()

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    entity = DiscriminatorAttribute(attr_name="entity")
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # DynamoDB TTL attribute: epoch seconds (TTL deletes lazily; code checks it too)
    version = NumberAttribute(default=1)

    gsi1 = GSI1()
    gsi2 = GSI2()
    gsi3 = GSI3()

    # Stored attributes whose values are secrets (password hashes, token hashes, encrypted keys): declared
    # here once, they never reach an answer or an export, the audit log shows only that they changed, and
    # the secrets test looks for their stored values in every response and log line.
    secret_fields: frozenset[str] = frozenset()
    # Stored bookkeeping that never leaves the API either, but is no secret.
    hidden: frozenset[str] = frozenset()
    _KEY_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "entity",
                                 "expires_at"})

    def keys(self) -> dict[str, str | None]:
        raise NotImplementedError

    @property
    def tenant_id(self) -> str | None:
        """The tenant the item belongs to (None for platform items)."""
        return getattr(self, "client_id", None)

    def public(self) -> dict:
        """The item as the API shows it: no keys, no secret or hidden attributes."""
        return {k: v for k, v in self.attribute_values.items()
                if k not in self._KEY_ATTRIBUTES and k not in self.hidden and k not in self.secret_fields}

    def derive_keys(self) -> Item:
        for name, value in self.keys().items():
            setattr(self, name, value)
        return self

    def serialize(self, null_check: bool = True):
        self.derive_keys()
        return super().serialize(null_check=null_check)
