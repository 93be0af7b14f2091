"""The shape of the personal-data analysis cost, proved without timing it.

Speed is measured in benchmarks/pii_speed.py. Here: a long text is cut into
pieces of bounded size whose hits map back to the right offsets, once each;
the context of a result is looked for in a bounded window of tokens; digits
inside URLs are not read as phone or card numbers.
"""

from __future__ import annotations

import pytest

from aiart_release.default_plugins.personal_data.pieces import OVERLAP_CHARS, PIECE_CHARS, pieces
from aiart_release.plugins import build_registry


@pytest.fixture(scope="module")
def analyzer():
    from aiart_release.default_plugins.personal_data.check import _analyzer

    return _analyzer({}, tuple(f for _, f in build_registry().recognizer_factories))


def _log(lines: int) -> str:
    return "".join(f"step {i} loss 0.{i % 97:04d} lr 0.00026 grad_norm 1.{i % 13}\n"
                   for i in range(1, lines + 1))


def _check_tiling(text: str) -> list:
    got = pieces(text)
    assert got[0].core_start == 0 and got[-1].core_end == len(text)
    for before, after in zip(got, got[1:], strict=False):
        assert before.core_end == after.core_start  # no gap, no overlap of cores
    for piece in got:
        assert piece.start <= piece.core_start < piece.core_end <= piece.end
        assert piece.core_end - piece.core_start <= PIECE_CHARS
        assert piece.end - piece.start <= PIECE_CHARS + 2 * OVERLAP_CHARS
    return got


def test_a_short_text_is_one_piece():
    assert [(p.start, p.end) for p in pieces("portrait of Maria Gonzalez")] == [(0, 26)]


def test_a_long_log_is_cut_at_line_ends_into_bounded_pieces():
    text = _log(2000)
    got = _check_tiling(text)
    assert len(got) >= len(text) // PIECE_CHARS
    for piece in got[:-1]:
        assert text[piece.core_end - 1] == "\n"
    for piece in got[1:]:
        # Windows reach into the neighbours, starting and ending at a word boundary.
        assert piece.start < piece.core_start and text[piece.start - 1].isspace()
        assert piece.end == len(text) or text[piece.end].isspace()


def test_text_without_line_ends_is_cut_at_sentences_then_spaces():
    sentences = "The fox ran over the hill. " * 400
    for piece in _check_tiling(sentences)[:-1]:
        assert sentences[piece.core_end - 2:piece.core_end] == ". "
    words = "lorem ipsum " * 800
    for piece in _check_tiling(words)[:-1]:
        assert words[piece.core_end - 1] == " "
    blob = "x" * (PIECE_CHARS * 3 + 5)  # no boundary at all: hard cuts, still tiled
    assert len(_check_tiling(blob)) == 4


def test_long_texts_reach_the_recognizers_only_in_bounded_pieces(analyzer, monkeypatch):
    seen: list[int] = []
    original = analyzer._analyze_units

    def spy(units):
        seen.extend(len(text) for text, _ in units)
        return original(units)

    monkeypatch.setattr(analyzer, "_analyze_units", spy)
    text = _log(3000) + "contact maria.gonzalez@postbox-mail.org\n" + _log(50)
    (hits,) = analyzer.analyze([(text, "")])
    assert len(seen) > 10 and max(seen) <= PIECE_CHARS + 2 * OVERLAP_CHARS
    emails = [h for h in hits if h.entity == "EMAIL_ADDRESS"]
    assert [text[h.start:h.end] for h in emails] == ["maria.gonzalez@postbox-mail.org"]


def _name_across_a_cut() -> tuple[str, int]:
    """A text with no line or sentence end where the first cut falls between
    "Maria" and "Gonzalez"; returns it and where the name starts."""
    head = ""
    while len(head) < PIECE_CHARS - 60:
        head += "soft light over the harbour "
    while len(head) < PIECE_CHARS - 13:
        head += "and "
    # "Maria " ends before the size limit and "Gonzalez" crosses it: the last
    # space before the limit is the one inside the name.
    return head + "Maria Gonzalez smiled " + "soft light over the harbour " * 30, len(head)


def test_a_name_across_a_cut_is_found_once_at_its_place(analyzer):
    text, start = _name_across_a_cut()
    cuts = [p.core_end for p in pieces(text)[:-1]]
    assert start < cuts[0] < start + len("Maria Gonzalez")
    (hits,) = analyzer.analyze([(text, "caption")])
    names = [h for h in hits if h.entity == "PERSON"]
    assert [(h.start, text[h.start:h.end]) for h in names] == [(start, "Maria Gonzalez")]


def test_hits_on_both_sides_of_every_cut_are_kept_once(analyzer):
    line = "call 415-555-0199 about the prints\n"
    text = line * 400  # the same number on every line, cut many times
    (hits,) = analyzer.analyze([(text, "")])
    phones = sorted(h.start for h in hits if h.entity == "PHONE_NUMBER")
    assert phones == [i * len(line) + len("call ") for i in range(400)]


def test_a_context_word_in_the_window_raises_the_score(analyzer):
    (near,) = analyzer.analyze([("my phone: 415 555 0199", "")])
    (plain,) = analyzer.analyze([("reference 415 555 0199", "")])
    (far,) = analyzer.analyze([("phone" + " ," * 40 + " 415 555 0199", "")])
    score = {name: max(h.score for h in hits if h.entity == "PHONE_NUMBER")
             for name, hits in (("near", near), ("plain", plain), ("far", far))}
    assert score["near"] > score["plain"]
    # Forty punctuation tokens away: outside the window, as if absent.
    assert score["far"] == score["plain"]


def test_a_context_word_in_the_column_name_still_counts(analyzer):
    (with_field,) = analyzer.analyze([("415 555 0199", "phone")])
    (without,) = analyzer.analyze([("415 555 0199", "notes")])
    assert max(h.score for h in with_field) > max(h.score for h in without)


def test_the_surrounding_words_come_from_a_bounded_window(analyzer):
    from aiart_release.default_plugins.personal_data.enhancer import (
        WINDOW_TOKENS,
        BoundedContextEnhancer,
    )

    text = "passport " + "; " * 500 + "X1234567"
    doc = analyzer.nlp.make_doc(text)
    artifacts = analyzer.engine._doc_to_nlp_artifact(doc, "en")
    words = BoundedContextEnhancer()._extract_surrounding_words(
        artifacts, "X1234567", text.index("X1234567"))
    assert "passport" not in words
    close = "passport " + "; " * (WINDOW_TOKENS // 2) + "X1234567"
    doc = analyzer.nlp.make_doc(close)
    artifacts = analyzer.engine._doc_to_nlp_artifact(doc, "en")
    words = BoundedContextEnhancer()._extract_surrounding_words(
        artifacts, "X1234567", close.index("X1234567"))
    assert "passport" in words


@pytest.mark.parametrize("url", [
    "https://cdn.example.com/wp-content/uploads/2019/05/fox-4532015112830366.jpg",
    "https://photos.example.org/2/1433/94678288811_84c5811a41_o.jpg?t=1699999999123",
    "https://shop.example.com/s/files/1/0415/5550/products/print_1200x.jpg?v=4155550199",
])
def test_numbers_inside_urls_are_not_phone_or_card_numbers(analyzer, url):
    (hits,) = analyzer.analyze([(url, "url")])
    assert not [h for h in hits if h.entity in ("PHONE_NUMBER", "CREDIT_CARD", "US_SSN",
                                                  "US_BANK_NUMBER", "AGE", "DATE_TIME")]


def test_the_same_numbers_in_prose_are_still_found(analyzer):
    (hits,) = analyzer.analyze([("card 4532 0151 1283 0366, call 415-555-0199", "notes")])
    assert {"CREDIT_CARD", "PHONE_NUMBER"} <= {h.entity for h in hits}


def test_a_profile_link_is_still_found_inside_a_url(analyzer):
    (hits,) = analyzer.analyze([("see https://www.instagram.com/kit.paints for more", "")])
    assert [h.entity for h in hits] == ["SOCIAL_HANDLE"]


def test_number_dense_text_without_hits_is_never_tokenised(analyzer, monkeypatch):
    """A training log has digits everywhere but nothing whose score depends
    on the words around it: no piece of it goes through spaCy at all."""
    calls: list[int] = []
    make_doc = analyzer.nlp.make_doc
    monkeypatch.setattr(analyzer.nlp, "make_doc", lambda text: calls.append(1) or make_doc(text))
    (hits,) = analyzer.analyze([(_log(3000), "")])
    assert hits == [] and calls == []
    analyzer.analyze([("my phone: 415 555 0199", "")])
    assert calls  # a result to weigh by its context: tokens, then
