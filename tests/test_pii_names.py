"""Names whose case says nothing: lower-case comments, a name starting the
text, a name in capitals (names.py, developed on WNUT-17 dev)."""

from __future__ import annotations

import pytest

from aiart_release.default_plugins.personal_data.names import (
    distinctive_given_names,
    has_distinctive_name,
    lone_names,
)


def _found(text: str) -> list[str]:
    return [text[a:b] for a, b in lone_names(text)]


def test_the_lexicon_keeps_names_and_drops_english_words():
    names = distinctive_given_names()
    assert {"emma", "kevin", "casey", "diego"} <= names
    assert not {"love", "man", "my", "can", "bill", "mark", "red"} & names


@pytest.mark.parametrize(("text", "expected"), [
    ("wow emma and kevin are so cute and so funny", ["emma", "kevin"]),
    ("Casey is a great person", ["Casey"]),
    ("great video . Casey is back", ["Casey"]),
    ("THANKS DIEGO ! : D", ["DIEGO"]),
])
def test_lone_given_names_are_found(text, expected):
    assert _found(text) == expected
    assert has_distinctive_name(text)


@pytest.mark.parametrize("text", [
    "this looks like a lotta fun",         # after a determiner: a noun
    "we went to see Casey at the show",     # mid-sentence capital: NER's business
    "the love of my life",                  # English words only
    "@emma thanks for the print",           # a handle, not a bare name
    "toh zada vadiya koi hiaga nahi emma",  # mostly not English: no lower-case names
])
def test_words_that_are_no_lone_names(text):
    assert _found(text) == []


def test_the_analyzer_runs_ner_and_reports_a_lower_case_name():
    from aiart_release.default_plugins.personal_data.check import _analyzer
    from aiart_release.plugins import build_registry

    analyzer = _analyzer({}, tuple(f for _, f in build_registry().recognizer_factories))
    (hits,) = analyzer.analyze([("wow emma and kaite is so very cute", "comment")])
    assert "emma" in [h.value for h in hits if h.entity == "PERSON"]
    (hits,) = analyzer.analyze([("this looks like a lotta fun", "comment")])
    assert not [h for h in hits if h.entity == "PERSON"]


def test_shouting_is_no_name_but_a_shouted_given_name_is():
    from aiart_release.default_plugins.personal_data.check import _analyzer
    from aiart_release.plugins import build_registry

    analyzer = _analyzer({}, tuple(f for _, f in build_registry().recognizer_factories))
    for text in ("I LOVE THIS AJBDUENNDJD", "I LOVE ITTTTTTT", "guess RED IS NOT sponsoring it"):
        (hits,) = analyzer.analyze([(text, "comment")])
        assert not [h for h in hits if h.entity == "PERSON"], text
    (hits,) = analyzer.analyze([("THANKS DIEGO ! : D", "comment")])
    assert [h.value for h in hits if h.entity == "PERSON"] == ["DIEGO"]


def test_a_statement_goes_through_ner_a_caption_need_not():
    from aiart_release.default_plugins.personal_data.names import is_statement

    assert is_statement("is it just me or is his voice scary")
    assert not is_statement("watercolor of a red fox, soft morning light, muted palette")
