"""Attribute types PynamoDB lacks. Money must never pass through a float (PynamoDB issue #551)."""

from __future__ import annotations

from decimal import Decimal

from pynamodb.attributes import Attribute
from pynamodb.constants import NUMBER


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB Number read and written as `Decimal`, digit for digit."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        return format(value, "f")

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)
