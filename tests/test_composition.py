"""The dataset composition summary (aiart_release/composition.py): counts of
sources, creators, licences, files and the words describing people in the
captions, in the JSON and the terminal report; no names, no caption text,
no finding."""

from __future__ import annotations

import json

from conftest import make_bundle

from aiart_release import composition

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
SOURCES = (
    "file,creator,source,license\n"
    "images/a.png,Zelda Quintavalle,https://www.flickr.com/photos/zq/1,CC-BY-4.0\n"
    "images/b.png,Zelda Quintavalle,https://flickr.com/photos/zq/2,CC-BY-4.0\n"
    "images/c.png,Bartholomew Ngata,https://commons.wikimedia.org/wiki/File:X.png,CC0-1.0\n"
    "images/d.png,,scanned from my own sketchbook,permission given by Ingrid Sølvberg\n"
    "images/e.png,Bartholomew Ngata,,\n"
    "images/f.png,,,Permission from Jane Doe\n"
    "images/g.png,,,CC BY-SA 4.0\n"
)
CAPTIONS = (
    "file_name,caption\n"
    "images/a.png,\"An elderly Woman in a hat, white-washed wall\"\n"
    "images/b.png,a young man and a young woman\n"
    "images/c.png,womanly figure; Dark-skinned child\n"
)


def _bundle(tmp_path, extra=None):
    files = {"data/sources.csv": SOURCES, "data/captions.csv": CAPTIONS,
             **{f"data/images/{n}.png": PNG + n.encode() for n in "abcd"},
             "data/images/d.txt": "portrait of an old woman\n",
             **(extra or {})}
    return make_bundle(tmp_path / "b", files)


def test_counts_sources_creators_licences_files_and_terms(tmp_path, cli):
    summary = cli("assess", _bundle(tmp_path), "-f", "json").json()["composition"]
    assert summary["items"] == 7
    assert summary["sources"] == {"flickr.com": 2, "commons.wikimedia.org": 1,
                                  composition.NOT_A_URL: 1, composition.NONE_STATED: 3}
    assert summary["creators"] == {"distinct": 2, "items_without": 3}
    # Free text may name a person: counted, never shown.
    assert summary["licenses"] == {"CC-BY-4.0": 2, "CC0-1.0": 1, composition.FREE_TEXT: 2,
                                   composition.NONE_STATED: 1, "CC BY-SA 4.0": 1}
    assert summary["files"]["image"] == {"files": 4, "bytes": 4 * (len(PNG) + 1)}
    captions = summary["captions"]
    assert captions["read"] == 4  # three table rows and the sidecar d.txt
    # Whole words, any case: "womanly" and "white-washed" do not count.
    assert captions["terms"]["gender"] == {"woman": 3, "man": 1}
    assert captions["terms"]["age"] == {"young": 2, "child": 1, "elderly": 1, "old": 1}
    assert captions["terms"]["skin tone"] == {"dark-skinned": 1}
    assert summary["capped"] is False


# In the manifest (creators, a URL's path, free-text licences) and the
# captions; never in any form of the summary.
SECRETS = ("Zelda", "Quintavalle", "Ngata", "Sølvberg", "Jane", "Doe", "sketchbook",
           "photos/zq", "hat", "wall", "womanly", "portrait")


def test_no_names_or_caption_text_in_json_or_terminal(tmp_path, cli):
    bundle = _bundle(tmp_path)
    shown = [json.dumps(cli("assess", bundle, "-f", "json").json()["composition"]),
             cli("assess", bundle).out.split("Dataset composition")[1].split("Recommendation")[0]]
    for text in shown:
        for secret in SECRETS:
            assert secret not in text


def test_no_names_or_caption_text_in_the_card_or_the_html(tmp_path, cli):
    bundle = _bundle(tmp_path)
    card = cli("export", "markdown", bundle, "-o", "-").out
    page = cli("export", "html", bundle, "-o", "-").out
    sections = [card.split("### Dataset composition")[1].split("\n### ")[0],
                page.split('<section id="composition">')[1].split("</section>")[0]]
    for text in sections:
        assert "(free text) 2" in text or "(free text)</span> 2" in text
        assert "woman 3" in text and "flickr.com" in text
        for secret in SECRETS:
            assert secret not in text, secret
    # Nor anywhere else on the card or the page: the findings mask them.
    for whole in (card.split("### Credits")[0], page):
        for secret in ("Sølvberg", "Jane Doe", "sketchbook", "white-washed"):
            assert secret not in whole, secret


def test_terminal_section_shows_the_counts_and_says_it_is_no_verdict(tmp_path, cli):
    out = cli("assess", _bundle(tmp_path)).out
    section = out.split("Dataset composition")[1].split("Recommendation")[0]
    assert "flickr.com 2" in section
    assert "2 distinct · 3 items name none" in section
    assert "woman 3" in section
    assert "not a verdict" in section


def test_capped_reading_says_so(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(composition, "MAX_ROWS", 5)
    rows = "".join(f"images/x{i}.png,a woman\n" for i in range(50))
    bundle = _bundle(tmp_path, {"data/more.csv": "file_name,caption\n" + rows})
    report = cli("assess", bundle, "-f", "json").json()["composition"]
    assert report["capped"] is True
    assert report["limits"]["rows"] == 5
    total = sum(report["captions"]["terms"]["gender"].values())
    assert total <= 5 + 2  # nothing past the cap was counted
    assert "Capped: the first 5 rows" in cli("assess", bundle).out
    for kind in ("markdown", "html"):  # the exports say so too
        assert "Capped: the first 5 rows and 16.0 MiB of captions were read" in cli(
            "export", kind, bundle, "-o", "-").out


def test_caption_bytes_are_capped(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(composition, "MAX_CAPTION_BYTES", 40)
    report = cli("assess", _bundle(tmp_path), "-f", "json").json()["composition"]
    assert report["capped"] is True
    assert sum(report["captions"]["terms"]["gender"].values()) < 4


def test_broken_caption_table_is_counted_unreadable_and_the_scan_goes_on(tmp_path, cli):
    bundle = _bundle(tmp_path, {"data/broken.csv": "file_name,caption\nx.png,\"unclosed\n"})
    result = cli("assess", bundle, "-f", "json")
    assert result.code in (0, 1)
    summary = result.json()["composition"]
    assert summary["unreadable"] == 1
    assert summary["creators"]["distinct"] == 2


def test_a_json_object_manifest_is_not_counted_unreadable(tmp_path, cli):
    croissant = json.dumps({"@context": {"@vocab": "https://schema.org/"},
                            "@type": "Dataset", "name": "x", "distribution": []})
    bundle = _bundle(tmp_path, {"data/croissant.json": croissant,
                                "data/more-sources.json": json.dumps(
                                    [{"file": "images/a.png", "license": "MIT"}])})
    summary = cli("assess", bundle, "-f", "json").json()["composition"]
    assert summary["unreadable"] == 0
    assert summary["licenses"]["MIT"] == 1


def test_no_dataset_no_section(tmp_path, cli):
    bundle = make_bundle(tmp_path / "b", {"train.py": "print('hi')\n",
                                          "README.md": "# A tool\n"})
    assert "composition" not in cli("assess", bundle, "-f", "json").json()
    assert "Dataset composition" not in cli("assess", bundle).out


def test_the_summary_raises_no_finding(tmp_path, cli):
    bundle = _bundle(tmp_path)
    with_it = cli("assess", bundle, "-f", "json").json()
    ids = {f["id"] for f in with_it["findings"]}
    assert not any(i.startswith("composition") for i in ids)


def test_a_single_word_or_a_number_in_the_licence_column_is_free_text(tmp_path, cli):
    # A one-word "licence" may be the creator's name, digit groups a phone
    # number: neither is a licence id, so both are counted, never shown.
    sources = ("file,license\n"
               "images/a.png,Quintavalle\n"
               "images/b.png,020-7946-0958\n"
               "images/c.png,other\n")
    bundle = make_bundle(tmp_path / "b", {"data/sources.csv": sources,
                                          "data/images/a.png": PNG})
    result = cli("assess", bundle, "-f", "json")
    assert result.json()["composition"]["licenses"] == {composition.FREE_TEXT: 2, "other": 1}
    for text in (result.out, cli("assess", bundle).out):
        assert "Quintavalle" not in text and "7946" not in text
