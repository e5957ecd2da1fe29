"""Search text: case- and accent-insensitive words and their prefixes (the token items' keys)."""

from __future__ import annotations

import re
import unicodedata

MIN_PREFIX = 2
MAX_PREFIX = 12


def fold(text: str) -> str:
    """Lower-case, accents removed: "Zoë Ångström" → "zoe angstrom"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(*texts: str | None) -> list[str]:
    out: list[str] = []
    for text in texts:
        for word in re.split(r"[^0-9a-z]+", fold(text or "")):
            if word and word not in out:
                out.append(word)
    return out


def prefixes(*texts: str | None) -> set[str]:
    """Every prefix (MIN_PREFIX..MAX_PREFIX characters) of every word; short words whole."""
    out: set[str] = set()
    for word in words(*texts):
        if len(word) < MIN_PREFIX:
            out.add(word)
        for n in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1):
            out.add(word[:n])
    return out


def query_terms(q: str) -> list[str]:
    """The words of a search query, longest first (the most selective token is read)."""
    return sorted((w[:MAX_PREFIX] for w in words(q)), key=len, reverse=True)
