"""The declared settings: each default is a value of its own type, the README lists exactly the
declared keys, and the SMS HELP bound counts what a handset counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import catalogue

README = Path(__file__).parents[2] / "README.md"


@pytest.mark.parametrize("key", list(catalogue.DECLARED))
def test_every_default_is_a_valid_value_of_its_key(key):
    declared = catalogue.DECLARED[key]
    assert catalogue.category_of(key) in catalogue.CATEGORIES and declared.scopes
    if declared.default is not None:
        assert catalogue.validate(key, declared.stored_default) == declared.stored_default
        assert catalogue.typed(key, declared.stored_default) == declared.default


def test_the_readme_lists_the_declared_keys():
    text = README.read_text()
    begin = text.index("<!-- >>> generated from shared/settings/catalogue.py")
    body = text[text.index("\n", begin) + 1:text.index("<!-- >>> end of the declared settings <<< -->")]
    assert body.strip() == catalogue.reference(), "README's settings table is stale: paste catalogue.reference()"


@pytest.mark.parametrize(("text", "fits"), [
    ("x" * 160, True), ("x" * 161, False),
    ("€" * 80, True), ("€" * 81, False),          # GSM-7 extension characters take two septets
    ("é" * 160, True),                              # é is in GSM-7's basic set
    ("ü" + "ő" * 69, True), ("ő" * 71, False),      # ő is not: UCS-2, 70 a segment
    ("👍" * 35, True), ("👍" * 36, False),          # an emoji is two UTF-16 code units
])
def test_help_text_fits_one_segment(text, fits):
    length, limit = catalogue.sms_length(text)
    assert (length <= limit) is fits


def test_the_effective_default_of_quiet_hours_is_tcpa_hours():
    quiet = catalogue.DECLARED["messaging.quiet_hours"].default
    assert (quiet.sms.start, quiet.sms.end) == ("21:00", "08:00") and quiet.email is None
