"""Prefix search: the words of searchable fields, their index items, and the one search page.

The index holds one token item per indexed word of an item (kept by the stream consumer,
`shared.db.projections.search_index`): `PK = <scope>#SEARCH#<KIND>#<the word's first character>`,
`SK = <word>#<item id>`. A prefix of any length, from one character, finds the words that start
with it by one key-condition query (`begins_with(SK, prefix)` in its first character's partition),
so a search reads only the words that match. Words are case- and accent-folded runs of letters and
digits, in any script.

Budget: each searchable field adds at most its own number of words (its first ones), and an item
at most MAX_WORDS: replacing every token of an item, plus its projection marker, still fits one
transaction. A word is kept whole up to MAX_WORD characters (longer ones are cut in the token and
checked whole on the item), so every indexed word is found by each of its prefixes.

A query's words must each be a prefix of one of the item's words. The longest is looked up in the
index; the items its tokens name are read in one BatchGetItem and checked against every word. An
item with several words starting with the looked-up prefix has a token for each: it is answered at
the first of them in token order only, so no item is repeated, whatever the page boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

MAX_WORD = 32  # characters of a word kept in its token
MAX_WORDS = 48  # tokens of one item: all replaced at once, they and the marker fit in 100 transaction items
_SPLIT = re.compile(r"[\W_]+")
# Latin letters with a stroke or ligatures that NFKD leaves whole, as people type them without one.
_PLAIN = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "ı": "i", "æ": "ae",
                        "œ": "oe", "þ": "th"})


def fold(text: str) -> str:
    """Lower-case, accents removed: "Zoë Ångström" → "zoe angstrom", "Łukasz Øvergaard" → "lukasz overgaard"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_PLAIN)


def words(*texts: str | None) -> list[str]:
    """The distinct words of the texts in order: runs of letters and digits, folded."""
    out: dict[str, None] = {}
    for text in texts:
        for word in _SPLIT.split(fold(text or "")):
            if word:
                out.setdefault(word)
    return list(out)


def indexed_words(*fields: tuple[str | None, int]) -> list[str]:
    """The words an item is found by: of each (text, budget) field in turn, the first `budget` words
    not already taken from an earlier field; MAX_WORDS at most in all."""
    taken: dict[str, None] = {}
    for text, budget in fields:
        added = 0
        for word in words(text):
            if len(taken) == MAX_WORDS:
                return list(taken)
            if added < budget and word not in taken:
                taken[word] = None
                added += 1
    return list(taken)


def tokens(partition_of: Callable[[str], str], indexed: Iterable[str], item_id: str) -> set[tuple[str, str]]:
    """The (PK, SK) of each token item of an item: `partition_of(first character)`, `<word>#<id>`."""
    return {(partition_of(w[0]), f"{w[:MAX_WORD]}#{item_id}") for w in indexed}


def query_terms(q: str) -> list[str]:
    """The words of a search query, longest first (the most selective one is looked up)."""
    return sorted(words(q), key=len, reverse=True)


def page(partition_of: Callable[[str], str], q: str, *, limit: int, cursor: str | None,
         load: Callable[[list[str]], list], words_of: Callable[[Any], list[str]],
         rank: Callable[[Any, list[str]], Any] | None = None) -> tuple[list, dict | None]:
    """One page of a prefix search, and its cursor (the last token read).

    One query reads up to `limit` tokens of the longest word of `q`; `load(ids)` gives the live
    items among those ids (one BatchGetItem); an item is answered when every word of `q` is a
    prefix of one of `words_of(item)`, at its first matching token. A page can be short (items
    changed or deleted since their tokens were written, other words not matching): the cursor goes
    on after it, so nothing is skipped or repeated. With `rank(item, terms)` (a sort key, smallest
    first) the page's items are ordered by it: ranked within what one page read, the cursor unchanged."""
    from shared.db import query
    from shared.db.projections import SearchToken
    from shared.errors import ValidationFailed

    terms = query_terms(q)
    if not terms:
        raise ValidationFailed("q has no searchable characters", field="/query/q")
    lead = terms[0][:MAX_WORD]
    partition = partition_of(lead[0])
    _check_cursor(cursor, partition, lead)
    found, last = query.page(SearchToken, partition, sk_begins=lead, limit=limit, cursor=cursor)
    named = [(word, item_id) for word, sep, item_id in (t.SK.rpartition("#") for t in found) if sep]
    items = {item.id: item for item in load(list(dict.fromkeys(i for _, i in named)))}
    hits = []
    for word, item_id in named:
        item = items.get(item_id)
        if item is not None and _first_match(words_of(item), terms) == word:
            hits.append(item)
    if rank is not None:
        hits.sort(key=lambda item: rank(item, terms))
    return hits, last


def _first_match(item_words: list[str], terms: list[str]) -> str | None:
    """The token word the item is answered at: the smallest of its words the lead term starts, if
    every term starts one of its words; None otherwise."""
    if not all(any(w.startswith(t) for w in item_words) for t in terms):
        return None
    return min(w[:MAX_WORD] for w in item_words if w.startswith(terms[0]))


def _check_cursor(cursor: str | None, partition: str, lead: str) -> None:
    """A cursor of this search only: another's would be a key outside this query (a 400, not a 500)."""
    from shared.core.cursor import decode_cursor
    from shared.errors import ValidationFailed

    start = decode_cursor(cursor)
    if start is not None and not (set(start) == {"PK", "SK"} and start["PK"] == partition
                                  and isinstance(start["SK"], str) and start["SK"].startswith(lead)):
        raise ValidationFailed("cursor belongs to another search", field="/query/cursor")
