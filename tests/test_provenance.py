"""Provenance, consent and attribution (check `provenance`), and the
`credits` command: manifests in every format, reconciled with real files."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from conftest import EXAMPLES, make_bundle

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _found(report, prefix=("provenance.", "consent.", "attribution.")):
    return {f["id"]: f for f in report["findings"] if f["id"].startswith(prefix)}


def _bundle(tmp_path, manifest_name, manifest, images=("a.png", "b.png"), extra=None):
    files = {"LICENSE": "MIT\n", manifest_name: manifest,
             **{f"data/images/{n}": PNG + n.encode() for n in images}, **(extra or {})}
    return make_bundle(tmp_path / "b", files)


CSV = ("file_name,creator,source,license,consent,sha256\n"
       f"images/a.png,Mira Holt,https://example.org/mira,CC-BY-4.0,yes,{_sha(PNG + b'a.png')}\n"
       f"images/b.png,Jun Sato,https://example.org/jun,CC0-1.0,yes,{_sha(PNG + b'b.png')}\n")


@pytest.mark.parametrize("name, manifest", [
    ("data/sources.csv", CSV),
    ("data/sources.tsv", CSV.replace(",", "\t")),
    ("data/sources.jsonl", "\n".join(json.dumps(r) for r in [
        {"file": "images/a.png", "artist": "Mira Holt", "url": "https://example.org/mira",
         "licence": "cc-by-4.0", "consent": "granted", "sha256": _sha(PNG + b"a.png")},
        {"file": "images/b.png", "artist": "Jun Sato", "url": "https://example.org/jun",
         "licence": "cc0-1.0", "consent": "yes", "sha256": _sha(PNG + b"b.png")}])),
    ("data/sources.yaml", "items:\n"
     "  - {path: images/a.png, author: Mira Holt, source: https://example.org/mira,\n"
     "     license: CC-BY-4.0, consent: yes}\n"
     "  - {path: images/b.png, author: Jun Sato, source: https://example.org/jun,\n"
     "     license: CC0-1.0, consent: yes}\n"),
    ("data/croissant.json", json.dumps({
        "@context": {"@vocab": "https://schema.org/", "cr": "http://mlcommons.org/croissant/"},
        "@type": "Dataset", "name": "x", "license": "CC-BY-4.0", "creator": "Mira Holt",
        "url": "https://example.org/mira",
        "distribution": [{"@type": "cr:FileObject", "contentUrl": f"images/{n}",
                          "sha256": _sha(PNG + n.encode())} for n in ("a.png", "b.png")]})),
])
def test_a_complete_manifest_in_any_format_raises_nothing(cli, tmp_path, name, manifest):
    bundle = _bundle(tmp_path, name, manifest,
                     extra={"aiart-release.yaml": "contact: removals@example.org\n",
                            "CREDITS.md": "Mira Holt, Jun Sato\n"})
    report = cli("assess", bundle, "-f", "json").json()
    found = _found(report)
    if name.endswith("croissant.json"):
        # Croissant items carry no consent field: unknown, and reported so.
        assert set(found) == {"consent.unknown"}
    else:
        assert found == {}


def test_reconciliation_with_the_files(cli, tmp_path):
    manifest = ("file_name,creator,source,license,consent,sha256\n"
                f"images/a.png,Mira Holt,https://example.org/m,CC0-1.0,yes,{'0' * 64}\n"
                "images/gone.png,Jun Sato,https://example.org/j,CC0-1.0,yes,\n"
                "images/a.png,Mira Holt,https://example.org/m,CC0-1.0,yes,\n")
    bundle = _bundle(tmp_path, "data/sources.csv", manifest, images=("a.png", "b.png", "c.png"))
    found = _found(cli("assess", bundle, "-f", "json").json())
    assert found["provenance.unlisted-file"]["count"] == 2
    assert "data/images/b.png" in found["provenance.unlisted-file"]["evidence"]
    assert found["provenance.missing-file"]["location"]["row"] == 2
    assert found["provenance.duplicate-entry"]["location"]["row"] == 3
    mismatch = found["provenance.hash-mismatch"]
    assert mismatch["severity"] == "high" and mismatch["location"]["row"] == 1


def test_incomplete_entries_and_consent(cli, tmp_path):
    manifest = ("file,author,url,license,consent\n"
                "images/a.png,,https://www.deviantart.com/someone/art/1,,unknown\n"
                "images/b.png,Jun Sato,,CC-BY-4.0,no\n"
                "images/c.png,Studio,in-house,,\n"
                "images/d.png,Anon,https://example.org/d,CC0-1.0,\n"
                "images/e.png,Kai,https://example.org/e,CC-BY-4.0,\n")
    bundle = _bundle(tmp_path, "data/sources.csv", manifest,
                     images=("a.png", "b.png", "c.png", "d.png", "e.png"))
    report = cli("assess", bundle, "-f", "json").json()
    by_field = {(f["id"], f["location"].get("field")): f for f in report["findings"]}
    # Row 3 is own work and row 4 public domain: neither needs a licence. The
    # report may merge the three fields into one finding per file.
    incomplete = [f for f in report["findings"] if f["id"] == "provenance.incomplete-entry"]
    rows = {r for f in incomplete for r in f["location"].get("rows") or [f["location"]["row"]]}
    assert rows == {1, 2}
    said = " ".join(f["message"] + str(f["location"].get("field")) for f in incomplete)
    assert all(name in said for name in ("license", "creator", "source"))
    assert by_field[("consent.refused", "consent")]["severity"] == "critical"
    scraped = by_field[("consent.scraped-without-permission", "consent")]
    assert scraped["location"]["row"] == 1 and "deviantart.com" in scraped["message"]
    assert by_field[("consent.unknown", "consent")]["location"]["row"] == 5
    assert "consent.no-opt-out" in _found(report)
    assert report["recommendation"]["artifacts"]["dataset"]["tier"] == "closed"


@pytest.mark.parametrize("extra, has_route", [
    ({}, False),
    ({"aiart-release.yaml": "contact: https://example.org/removal\n"}, True),
    ({"README.md": "# Data\nArtists can opt out: write to us and we take it down.\n"}, True),
    ({"README.md": "# Data\nSend takedown requests to the studio.\n"}, True),
])
def test_an_opt_out_route(cli, tmp_path, extra, has_route):
    manifest = "file,creator,source,license,consent\nimages/a.png,Kai,https://e.org,CC0,yes\n" \
               "images/b.png,Lu,https://e.org/2,CC-BY-4.0,yes\n"
    bundle = _bundle(tmp_path, "data/sources.csv", manifest, extra=extra)
    found = _found(cli("assess", bundle, "-f", "json").json())
    assert ("consent.no-opt-out" not in found) == has_route


def test_scraped_data_with_no_manifest(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "code/fetch.py": "import requests\nOUT = 'data/images'\n"
                         "requests.get('https://www.reddit.com/r/art/')\n",
        "data/images/a.png": PNG, "data/README.md": "---\nsource_datasets: [original]\n---\n"})
    found = _found(cli("assess", bundle, "-f", "json").json())
    # Declared original, but scraped into the data's folder: the declaration
    # does not excuse a manifest.
    # (Which code scrapes, and which only downloads, is tested in test_scraping.py.)
    assert found["provenance.manifest-missing"]["severity"] == "high"
    assert "consent.scraped-without-permission" in found


def test_a_scraper_that_nothing_ties_to_the_data_is_not_its_origin(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "code/fetch.py": "import requests\nrequests.get('https://www.reddit.com/r/art/')\n",
        "data/images/a.png": PNG, "data/README.md": "---\nsource_datasets: [original]\n---\n"})
    report = cli("assess", bundle, "-f", "json").json()
    found = _found(report)
    # The tool is reported; the card's declaration stands for the data.
    assert "provenance.scraping-code" in found
    assert not {"consent.scraped-without-permission", "provenance.manifest-missing",
                "consent.no-opt-out"} & set(found)
    assert not any(s["id"] == "misuse.source-community-harassment"
                   for s in report.get("scenarios") or [])


def test_own_original_work_needs_no_manifest(cli):
    found = _found(cli("assess", EXAMPLES / "own-work", "-f", "json").json())
    assert found == {}


def test_the_forum_fanart_example(cli):
    result = cli("assess", EXAMPLES / "forum-fanart", "-f", "json")
    assert result.code == 1
    report = result.json()
    found = _found(report)
    assert set(found) >= {"provenance.scraping-code", "consent.scraped-without-permission",
                          "consent.refused", "provenance.incomplete-entry",
                          "consent.no-opt-out"}
    assert found["consent.scraped-without-permission"]["count"] == 5
    assert found["provenance.scraping-code"]["location"]["path"] == "code/scrape.py"
    dataset = report["recommendation"]["artifacts"]["dataset"]
    assert dataset["tier"] == "closed" and dataset["retention"] == "P180D"
    assert any("refused consent" in r for r in dataset["reasons"])


def test_credits_writes_the_file_and_clears_the_attribution_finding(cli, tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "nc-base-lora", bundle)
    before = _found(cli("assess", bundle, "-f", "json").json())
    assert before["attribution.missing"]["severity"] == "medium"
    result = cli("credits", bundle)
    assert result.code == 0
    assert "4 contributor(s), 6 item(s)" in result.out
    assert "Mira Holt" not in result.out  # names go to the file, not the terminal
    text = (bundle / "CREDITS.md").read_text()
    assert "| Mira Holt | 1 | CC-BY-4.0 |" in text
    assert "black-forest-labs/FLUX.1-dev" in text and "colorutil" in text
    assert "Lumen Forge Studio" not in text.split("## Data")[1].split("own work")[0]
    after = _found(cli("assess", bundle, "-f", "json").json())
    assert "attribution.missing" not in after
    assert cli("credits", bundle).code == 2  # exists
    assert cli("credits", bundle, "--force").code == 0


def test_credits_names_the_contact(cli, tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(EXAMPLES / "forum-fanart", bundle)
    (bundle / "aiart-release.yaml").write_text("contact: removals@example.org\n")
    assert cli("credits", bundle).code == 0
    assert "write to removals@example.org" in (bundle / "CREDITS.md").read_text()


def test_a_broken_manifest_is_a_finding(cli, tmp_path):
    bundle = _bundle(tmp_path, "data/sources.csv", 'file,creator\n"images/a.png,never closed\n')
    report = cli("assess", bundle, "-f", "json").json()
    broken = [f for f in report["findings"] if f["id"] == "bundle.unreadable"
              and f["location"]["path"] == "data/sources.csv"]
    assert broken and "CSV" in broken[0]["message"]


def test_a_manifest_with_no_file_column_says_so(cli, tmp_path):
    bundle = _bundle(tmp_path, "data/sources.csv",
                     "artist,url,license,consent\nMira,https://e.org,CC0-1.0,yes\n")
    found = _found(cli("assess", bundle, "-f", "json").json())
    assert "names no files" in found["provenance.unlisted-file"]["message"]
    assert found["provenance.unlisted-file"]["count"] == 2


def test_bad_licence_and_readme_files_are_findings_not_crashes(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": b"\x00\x01binary\x00licence",
        "COPYING": "",
        "README.md": "# Huge\n" + ("do not sell these. " * 200_000) + "\n",
        "data/sources.csv": "file\n\"broken\n",
        "data/images/a.png": PNG,
    })
    result = cli("assess", bundle, "-f", "json")
    assert result.code in (0, 1) and "Traceback" not in result.err
    ids = [f["id"] for f in result.json()["findings"]]
    assert "plugin.check-failed" not in ids
    assert "bundle.binary-content" in ids and "docs.license-missing" in ids


def test_a_credits_table_naming_items_by_id_is_a_manifest(cli, tmp_path):
    # Items named by id (the file's name without suffix), sources on a photo
    # platform, licences as Creative Commons deed URLs.
    credits = ("ImageID,OriginalLandingURL,License,Author\n"
               "a1f0,https://www.flickr.com/photos/kai/1,"
               "https://creativecommons.org/licenses/by/2.0/,Kai\n"
               "b2e9,https://www.flickr.com/photos/lu/2,CC BY 2.0,Lu\n")
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "eval/images/credits.csv": credits,
        "eval/images/a1f0.jpg": PNG + b"1", "eval/images/b2e9.jpg": PNG + b"2"})
    found = _found(cli("assess", bundle, "-f", "json").json())
    # Listed, credited (the credits file names them) and licensed: the licence
    # is the photographers' permission; only consent to this use is unknown.
    assert "provenance.manifest-missing" not in found
    assert "provenance.unlisted-file" not in found and "provenance.missing-file" not in found
    assert "consent.scraped-without-permission" not in found
    assert "attribution.missing" not in found
    assert found["consent.unknown"]["severity"] == "low"
    assert found["consent.unknown"]["location"]["path"] == "eval/images/credits.csv"


def test_platform_items_without_a_licence_are_still_taken_without_permission(cli, tmp_path):
    manifest = ("file,creator,source,license,consent\n"
                "images/a.png,Kai,https://www.flickr.com/photos/kai/1,CC BY 2.0,\n"
                "images/b.png,Lu,https://www.flickr.com/photos/lu/2,,\n")
    found = _found(cli("assess", _bundle(tmp_path, "data/sources.csv", manifest), "-f",
                       "json").json())
    assert found["consent.scraped-without-permission"]["location"]["row"] == 2
    assert found["consent.unknown"]["location"]["row"] == 1


@pytest.mark.parametrize("written, spdx", [
    ("https://creativecommons.org/licenses/by/2.0/", "CC-BY-2.0"),
    ("http://creativecommons.org/licenses/by-nc-sa/4.0/deed.en", "CC-BY-NC-SA-4.0"),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
    ("CC BY-NC 4.0", "CC-BY-NC-4.0"),
    ("cc by 2.0", "CC-BY-2.0"),
    ("MIT", "MIT"),
    ("Unsplash License", "Unsplash License"),
])
def test_manifest_licences_in_the_usual_spellings(written, spdx):
    from aiart_release.default_plugins.provenance.manifest import license_name

    assert license_name(written) == spdx


def test_a_json_object_named_manifest_that_lists_nothing_is_no_sources_manifest(cli, tmp_path):
    # A web app's manifest.json and a bundler's asset-manifest.json are
    # readable files that are not about the data: no bundle.unreadable.
    import json as _json

    from conftest import make_bundle

    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "docs/search/manifest.json": _json.dumps({"short_name": "Search", "icons": [],
                                                  "start_url": "."}),
        "docs/search/asset-manifest.json": _json.dumps({"files": {"main.js": "/a.js"},
                                                        "entrypoints": ["a.js"]}),
    })
    report = cli("assess", bundle, "-f", "json").json()
    assert not [f for f in report["findings"] if f["id"].startswith("bundle.")]


def test_a_json_manifest_is_opened_once_to_be_read(tmp_path, monkeypatch):
    """Whether a JSON manifest is Croissant, a list or an object is decided
    from the head the inventory read; only reading the items opens it."""
    import builtins
    import os
    from collections import Counter

    from aiart_release.bundle import build_inventory
    from aiart_release.default_plugins.provenance.manifest import read_manifest
    from aiart_release.plugins import build_registry

    croissant = {"@context": {"@vocab": "https://schema.org/",
                              "cr": "http://mlcommons.org/croissant/"},
                 "@type": "Dataset", "name": "lights", "license": "CC-BY-4.0",
                 "distribution": [{"@type": "cr:FileObject", "contentUrl": "a.png"}]}
    bundle = make_bundle(tmp_path / "b", {
        "sources.json": json.dumps([{"path": "a.png", "creator": "Kit", "license": "CC0-1.0"}]),
        "croissant.json": json.dumps(croissant),
        "a.png": b"\x89PNG\r\n\x1a\n",
    })
    registry = build_registry()
    inventory = build_inventory(bundle, registry.classify)
    opened: Counter[str] = Counter()
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        opened[os.path.basename(str(file))] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    for name in ("sources.json", "croissant.json"):
        manifest = read_manifest(inventory.get(name), bundle)
        assert manifest.error is None and manifest.items, (name, manifest.error)
    assert opened == {"sources.json": 1, "croissant.json": 1}, opened
