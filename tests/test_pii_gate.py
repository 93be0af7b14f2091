"""The personal-data check's shortcut: a text in which no built-in
recognizer could find anything is answered without loading spaCy and
Presidio (``analyzer.may_hold_personal_data``, ``check._LazyAnalyzer``).

The promise is checked against the real analyzer on the project's labelled
set (its captions, prompts, comments and cells); docs/benchmarks.md gives
the same count on WNUT-17 dev and test, which nobody here wrote."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aiart_release.default_plugins.personal_data import check as pii_check
from aiart_release.default_plugins.personal_data.analyzer import may_hold_personal_data
from aiart_release.plugins import build_registry

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _builtin_factories() -> tuple:
    factories = tuple(f for plugin, f in build_registry().recognizer_factories
                      if plugin == "personal-data")
    assert len(factories) == 3  # traits, patterns, names
    return factories


class _Stub:
    """Stands for the built analyzer: says each text was analysed."""

    def analyze(self, items, memo=None):
        return [["analysed"] for _ in items]


@pytest.fixture(scope="module")
def labelled_texts() -> list[str]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from pii_eval_data import load
    finally:
        sys.path.remove(str(BENCHMARKS))
    return [record.text for record in load()]


def test_a_text_the_gate_passes_over_gets_no_hit_from_the_analyzer(labelled_texts):
    analyzer = pii_check._analyzer({}, _builtin_factories())
    hits = analyzer.analyze([(text, "caption") for text in labelled_texts])
    skipped = [(text, found) for text, found in zip(labelled_texts, hits, strict=True)
               if not may_hold_personal_data(text)]
    # Not vacuous: plain captions ("a watercolor of a lighthouse") are skipped.
    assert len(skipped) >= 30
    assert [(text, found) for text, found in skipped if found] == []


@pytest.mark.parametrize("text", [
    "mail me at someone@postbox-mail.org",
    "call 555 012 3456",
    "portrait of Maria at the harbour",  # a capital mid-sentence
    "emma and kaite at the beach",  # a distinctive given name, lower case
    "in the style of greg rutkowski",  # a credit cue
    "a woman in a wheelchair",  # a trait term
    "she painted this",  # a statement about someone
    "see https://instagram.com/someone",
    "12 Rue de Rivoli",  # (in lower case no address pattern takes it)
    "portrait of a woman aged 34",  # the age patterns' words
    "a 16-year-old boy on a skateboard",
    "my son is 7.",
    "passport number 123456789",  # a context word with the number
    "IBAN GB82 WEST 1234 5698 7654 32",
])
def test_texts_that_may_hold_personal_data_are_analysed(text):
    assert may_hold_personal_data(text)


@pytest.mark.parametrize("text", [
    "a lighthouse on a cliff, gulls overhead",
    "oil painting of a bowl of lemons on a blue tablecloth, still life",
    "",
    # Numbers that no recognizer of ours or of Presidio's for us/uk could
    # take without a context word: counts, sizes, years.
    "a photo of 3 dogs on a beach, 1024x1024",
    "street scene in the 1920s, 35mm film",
    "new caption 1234 dog",
])
def test_plain_captions_need_no_analysis(text):
    assert not may_hold_personal_data(text)


def test_a_number_is_a_candidate_for_another_countrys_ids():
    # Presidio's Spanish, Italian... recognizers have no prefilter of ours.
    assert may_hold_personal_data("new caption 1234 dog", ("us", "uk", "es"))


def test_every_presidio_entity_without_a_prefilter_of_ours_needs_a_context_word():
    """What the gate assumes for the default countries, checked against the
    installed Presidio: the entities our prefilters do not cover are all
    context-required (so a bare number is no candidate)."""
    from aiart_release.default_plugins.personal_data import analyzer as module

    analyzer = pii_check._analyzer({}, _builtin_factories())
    defaulted = {entity for entity, need in analyzer._prefilters.items()
                 if need is module._DEFAULT_PREFILTER}
    assert defaulted  # US passport, driving licence and ITIN numbers, as installed
    assert defaulted <= set(analyzer.context_required)
    assert module.CONTEXT_ONLY_COUNTRIES == {"us", "uk"}


def test_the_analyzer_is_not_built_for_texts_without_candidates(monkeypatch):
    built = []
    monkeypatch.setattr(pii_check, "_analyzer", lambda *a: built.append(a))
    lazy = pii_check._LazyAnalyzer({}, _builtin_factories())
    assert lazy.analyze([("a red bicycle against a white wall", "caption")] * 3) == [[]] * 3
    assert built == []


def test_a_plugin_recognizer_turns_the_shortcut_off(monkeypatch):
    """What a third-party recognizer looks for cannot be known: every text
    goes to the analyzer."""
    def plugin_factory():
        return []

    built = []
    monkeypatch.setattr(pii_check, "_analyzer", lambda *a: built.append(a) or _Stub())
    lazy = pii_check._LazyAnalyzer({}, (*_builtin_factories(), plugin_factory))
    assert lazy.analyze([("a red bicycle", "caption")]) == [["analysed"]]
    assert len(built) == 1


def test_a_missing_model_is_still_reported(monkeypatch):
    """The shortcut does not hide a spaCy model that is not installed: the
    analyzer is built, and says so."""
    built = []
    monkeypatch.setattr(pii_check, "_analyzer", lambda *a: built.append(a) or _Stub())
    lazy = pii_check._LazyAnalyzer({"spacy_model": "no_such_model_pkg"}, _builtin_factories())
    assert lazy.analyze([("a red bicycle", "caption")]) == [["analysed"]]
    assert len(built) == 1
