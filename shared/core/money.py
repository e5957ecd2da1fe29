"""Money held in counters: an exact integer of micros (millionths of the currency unit, as in
`amount_micros` of ad APIs). Counters are added to with DynamoDB's ADD, and an integer keeps every
sum exact; six decimals cover every ISO 4217 currency (at most four) and provider per-message prices
(Twilio quotes five). Answers turn micros back into `Decimal`, never through a float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

MICROS = Decimal(1_000_000)


def to_micros(amount) -> int:
    """An amount (Decimal, int or numeric string) as an exact count of micros, never through a float."""
    return int((Decimal(str(amount)) * MICROS).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_micros(micros: int) -> Decimal:
    """Exact: 12_500_000 → Decimal("12.5"), 100_000_000 → Decimal("100")."""
    amount = Decimal(micros).scaleb(-6).normalize()
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount
