"""The literal text every match of a pattern holds (required_text.py): a
text without any of it is ruled out without compiling the pattern, so the
runs must be in every match, whatever the pattern generates."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiart_release.default_plugins.personal_data import analyzer
from aiart_release.required_text import required_runs

PATTERNS = [
    r"hiv(?:[- ]positive)?|cancer|chemo(?:therapy)?|tumou?r",
    r"(?:a|the|my) patient|member of the [a-z' ]{0,30}party",
    r"of [a-z]+ (?:descent|heritage|origin)",
    r"(?:black|white|asian) (?:man|woman)|(?:is|was) (?:[1-9]|1[0-7]) years? old",
    r"(?:unite (?:union|rally)|unison|gmb|ver\.di)",
    r"(?:ab)+c|x{2,3}yz",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_match_holds_one_of_the_runs(pattern):
    runs = required_runs(pattern)
    assert runs, pattern

    @settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
    @given(st.from_regex(re.compile(pattern), fullmatch=True))
    def holds(text):
        assert any(run in text for run in runs), (text, runs)

    holds()


@settings(max_examples=500, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.data())
def test_every_trait_term_match_passes_the_screen(data):
    """The screen of the personal-data check's trait cue: any text the cue
    matches, generated from the cue itself, holds one of the runs."""
    terms = analyzer._trait_terms()
    runs = required_runs(terms)
    alternatives = terms.split("|")  # a generated match of a piece of one term
    text = data.draw(st.from_regex(re.compile(terms), fullmatch=True))
    assert any(run in text for run in runs), (text, len(alternatives))


def test_what_cannot_be_screened_is_said():
    assert required_runs(r"[a-z]+|dog") is None  # an alternative with no fixed text
    assert required_runs(r"(?i)cancer") is None  # case folded: no literal run
    assert required_runs(r"(?i:cancer)|hiv") is None
    assert required_runs(r"a|b") is None  # nothing of two characters
    assert required_runs(r"(unclosed") is None


def test_a_caption_naming_no_trait_is_ruled_out_without_compiling_the_cue(monkeypatch):
    """may_hold_personal_data on a caption that names no trait (nor
    anything else) answers without building the cue; one that names a
    trait still finds it."""
    analyzer.trait_cue.cache_clear()
    monkeypatch.setattr(analyzer, "_screens_left", [analyzer.SCREENED_TEXTS])
    assert not analyzer.may_hold_personal_data("a misty lighthouse over a calm cliff")
    assert analyzer.trait_cue.cache_info().currsize == 0
    assert analyzer.may_hold_personal_data("a misty lighthouse over a cancer ward")
    assert analyzer.trait_cue.cache_info().currsize == 1
