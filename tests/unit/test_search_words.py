"""What an item is found by: folded words in any script, each field's budget, and a token count
that always fits the projection's one transaction (never cut silently)."""

from __future__ import annotations

from shared import search
from shared.clients.projections import client_search
from shared.db.projections import MAX_TOKENS
from shared.users.projections import user_search


def test_words_are_folded_runs_of_letters_and_digits_in_any_script():
    assert search.words("Zoë Ångström-Łukasz", "O'Brien 王小明", "ann@Mail.example.com") == [
        "zoe", "angstrom", "lukasz", "o", "brien", "王小明", "ann", "mail", "example", "com"]
    assert search.query_terms("  an  ANNABEL a ") == ["annabel", "an", "a"]  # longest first: the one looked up


def test_each_field_adds_its_first_words_up_to_its_budget():
    assert search.indexed_words(("a b c d", 2), ("b e f", 2), (None, 5)) == ["a", "b", "e", "f"]


def test_a_field_full_of_words_keeps_every_other_field_findable():
    many = " ".join(f"w{i}" for i in range(60))
    user = {"id": "U1", "client_id": "C1", "first_name": many, "last_name": many, "full_name": many,
            "email": "zed.quux@" + ".".join(f"d{i}" for i in range(60)) + ".example"}
    tokens = user_search(user)
    assert len(tokens) <= MAX_TOKENS
    words = {sk.split("#")[0] for _, sk in tokens}
    assert {"w0", "w7", "zed", "quux"} <= words  # each field's first words, the email's too
    client = {"id": "C2", "name": many + " " + many, "email": "x@y.example"}
    assert len(client_search(client)) <= MAX_TOKENS and {"w0", "x"} <= {sk.split("#")[0]
                                                                       for _, sk in client_search(client)}


def test_a_token_names_its_first_character_partition_and_keeps_long_words_to_their_limit():
    word = "k" * 40
    (pk, sk), = search.tokens(lambda c: f"P#S#{c}", [word], "ID")
    assert pk == "P#S#k" and sk == f"{'k' * search.MAX_WORD}#ID"
