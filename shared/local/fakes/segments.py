"""SMS segment counting the way carriers (and Twilio's num_segments) do it."""

from __future__ import annotations

# GSM 03.38 default alphabet (ESC left out: it is not text) and its extension table; an extension
# character costs two septets (ESC + char).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def count_segments(body: str) -> int:
    """Segments for `body`: GSM-7 160 single / 153 per part, else UCS-2 70 / 67 (UTF-16 units)."""
    if not body:
        return 1  # an MMS without text still counts as one message
    if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in body):
        costs = [2 if ch in GSM_EXTENSION else 1 for ch in body]
        return _pack(costs, single=160, per_part=153)
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in body]  # astral characters are surrogate pairs
    return _pack(costs, single=70, per_part=67)


def _pack(costs: list[int], *, single: int, per_part: int) -> int:
    """Fill parts greedily without splitting an escape sequence or a surrogate pair across two."""
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts
