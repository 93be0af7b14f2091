"""Names whose case says nothing: lower-case comments, a name starting the
text, a name in capitals (names.py, developed on WNUT-17 dev)."""

from __future__ import annotations

import pytest

from aiart_release.default_plugins.personal_data.names import (
    distinctive_given_names,
    distinctive_surnames,
    everyday_words,
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
    # A given name that is also a noun, starting a sentence about it.
    ("Mason is the best keeper we ever had", ["Mason"]),
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
    "Link should not carry a sword indoors",  # a given name that is also a verb
    "Beat is so cold tonight",
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


def _analyzer():
    from aiart_release.default_plugins.personal_data.check import _analyzer as make
    from aiart_release.plugins import build_registry

    return make({}, tuple(f for _, f in build_registry().recognizer_factories))


def _persons(analyzer, text: str) -> list[str]:
    (hits,) = analyzer.analyze([(text, "comment")])
    return [h.value for h in hits if h.entity == "PERSON"]


def test_word_lists_part_names_from_everyday_words():
    assert {"obama", "sheeran"} <= distinctive_surnames()
    assert not {"smith", "baker", "young"} & distinctive_surnames()
    # WordNet lists names as nouns only; verbs and adjectives are everyday words.
    assert {"beat", "link", "chance", "french"} <= everyday_words()
    assert not {"paul", "jason", "murphy"} & everyday_words()


def test_a_family_name_backs_up_a_shouted_name():
    assert _persons(_analyzer(), "THANKS OBAMA") == ["OBAMA"]


def test_a_given_name_the_model_calls_a_place_is_a_person_unless_placed():
    analyzer = _analyzer()
    assert _persons(analyzer, "we talked all about Mariah yesterday") == ["Mariah"]
    assert _persons(analyzer, "the video where Tiana's dad fell over") == ["Tiana"]
    for text in ("a gondola ride in Venice at dusk", "moved to Houston last year",
                 "she cooks with a heavy French pan", "practise speaking French with us"):
        assert _persons(analyzer, text) == [], text


def test_a_lower_case_given_name_sends_the_text_to_ner_a_verb_does_not():
    assert has_distinctive_name("lol martin short great bit")
    # "wash" and "red" are given names somewhere, and a verb and an adjective here.
    assert not has_distinctive_name("wash the red car at dusk")
    assert not has_distinctive_name("an old barn, red paint")


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    return out.getvalue()


def test_a_folder_named_after_someone_is_one_finding_masked_everywhere(tmp_path, cli,
                                                                       monkeypatch):
    """``data/maria_gonzalez/001.png``: people sort photos into a folder per
    person. One finding per folder however many pictures it holds, by the
    strict rule of file names (given name + family name of the lexicons),
    masked in every output and in the cache, on a cold run and a cached one."""
    from pathlib import Path

    from conftest import make_bundle

    bundle = make_bundle(tmp_path / "b", {
        **{f"data/maria_gonzalez/{i:03}.png": _png() for i in range(5)},
        "data/Emma Watson/portrait.png": _png(),
        # Folders that are no names: words, a lone given name, class labels.
        "data/sunset_beach/01.png": _png(), "data/house_line/a.png": _png(),
        "data/emma/b.png": _png(), "data/dog7/00.png": _png(),
        "data/README.md": "# Portraits\n",
    })
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    outputs = []
    for _ in range(2):  # cold, then from the cache
        result = cli("assess", bundle, "--format", "json")
        names = [f for f in result.json()["findings"] if f["id"] == "pii.person-name"]
        assert sorted((f["location"]["path"], f["location"]["field"], f["context"], f["count"])
                      for f in names) == [
            ("data/E*** W*****/", "folder name", "file-name", 1),
            ("data/m****_g*******/", "folder name", "file-name", 1)]
        outputs.append(result.out)
    outputs.append(cli("assess", bundle).out)
    outputs += [p.read_text("utf-8", "replace") for p in Path(cache).rglob("*")
                if p.is_file() and "derived" not in p.parts]
    for text in outputs:
        for raw in ("maria", "gonzalez", "watson"):
            assert raw not in text.lower(), raw


def test_folder_names_are_read_from_the_bundle_path_only():
    from aiart_release.default_plugins.personal_data.sources import folder_name_records

    found = [(folder, r.segments[0].text, r.segments[0].context)
             for folder, r in folder_name_records("photos/kevin-smith/2019/kevin_smith_3.jpg")]
    # The file name is the file-name reader's; each folder once.
    assert found == [("photos/kevin-smith", "Kevin Smith", "file-name")]
    assert list(folder_name_records("maria_gonzalez.jpg")) == []


def _letter() -> bytes:
    from test_media_ocr import poster

    return poster("Dear Mr Thompson,", "your portrait sitting with",
                  "Priya Raghunathan is confirmed.", "Call 415-555-0134")


def _needs_engine(name: str):
    from aiart_release.readers.ocr import engine

    if engine(name) is None:
        pytest.skip(f"{name} is not installed (pip install '.[ocr]'; apt-get install "
                    "tesseract-ocr)")


@pytest.mark.parametrize("engine", ["rapidocr", "tesseract"])
def test_names_shown_in_an_image_are_found_by_the_analyzer_with_ocr_on(tmp_path, cli, engine):
    """With ``checks: {pii: {ocr: true}}`` the text an image shows is
    analysed as a caption: names the lexicon rule of the masking gate alone
    would miss (a lone family name, a name it does not know) are found by
    the NER model, and set the personal_data fact; all masked. The same
    with either OCR engine."""
    _needs_engine(engine)
    from conftest import make_bundle
    from test_media_ocr import poster

    bundle = make_bundle(tmp_path / "b", {
        "data/letter.png": _letter(),
        "data/plain.png": poster("Blue skies over the harbour"),
        "aiart-release.yaml": f"checks:\n  pii:\n    ocr: true\n    ocr_engine: {engine}\n"})
    result = cli("assess", bundle, "--format", "json", "--no-cache")
    report = result.json()
    found = {(f["id"], f["location"]["path"]): f for f in report["findings"]
             if f["id"].startswith("pii.")}
    assert set(found) == {("pii.person-name", "data/letter.png"),
                          ("pii.phone-number", "data/letter.png")}
    names = found[("pii.person-name", "data/letter.png")]
    assert (names["context"], names["location"]["field"]) == ("caption", "image text")
    assert names["evidence"] == "T*******, P**** R**********"
    for raw in ("thompson", "priya", "raghunathan", "555-0134"):
        assert raw not in result.out.lower(), raw


def _pii_on_images(tmp_path, names: tuple[str, ...], settings: dict) -> list[list]:
    """The personal-data check on a bundle of letters, as the engine calls
    it on a batch: the findings of each image."""
    from conftest import make_bundle

    from aiart_release.bundle import build_inventory
    from aiart_release.checks import FileContext
    from aiart_release.default_plugins.personal_data.check import PersonalData
    from aiart_release.plugins import build_registry

    registry = build_registry()
    root = make_bundle(tmp_path / "b", {f"data/{name}": _letter() for name in names})
    images = [f for f in build_inventory(root, registry.classify).files if f.kind == "image"]
    ctx = FileContext(settings=settings,
                      recognizers=tuple(f for _, f in registry.recognizer_factories))
    return [found for _, found in PersonalData().scan_batch(images, ctx)]


def test_ocr_is_off_by_default_and_no_engine_is_said_once(tmp_path, monkeypatch):
    from aiart_release.readers import ocr as reader

    def never(path, engine="auto"):
        raise AssertionError("OCR ran with the setting off")

    monkeypatch.setattr(reader, "image_text", never)
    assert _pii_on_images(tmp_path / "off", ("a.png", "b.png"), {}) == [[], []]

    monkeypatch.setattr(reader, "tesseract", lambda: None)
    monkeypatch.setattr(reader, "rapidocr_models", lambda: None)
    skipped = [f.with_defaults(check="pii", checkpoint=f.checkpoint, artifact="dataset")
               for found in _pii_on_images(tmp_path / "on", ("a.png", "b.png"), {"ocr": True})
               for f in found]
    assert [f.id for f in skipped] == ["plugin.check-skipped"] * 2
    assert len({f.fingerprint for f in skipped}) == 1  # the engine keeps one
    assert "no OCR engine is installed" in skipped[0].message


@pytest.mark.parametrize(("decoded", "expected"), [(True, ["bundle.unreadable"]), (False, [])])
def test_ocr_that_fails_on_a_decoded_image_is_said_once_for_it(tmp_path, monkeypatch,
                                                               decoded, expected):
    """tesseract taking too long on a photo is a reason; an image that does
    not decode is the metadata reader's to report."""
    from aiart_release.readers import ocr as reader

    def failing(path, engine="auto"):
        raise reader.OcrFailed("tesseract took more than 30 s", decoded=decoded)

    monkeypatch.setattr(reader, "image_text", failing)
    monkeypatch.setattr(reader, "tesseract", lambda: "/usr/bin/tesseract")
    [found] = _pii_on_images(tmp_path, ("a.png",), {"ocr": True})
    assert [f.id for f in found] == expected
    assert all("30 s" in f.message for f in found)
