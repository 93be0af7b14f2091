"""Light registration of the media and provenance plugins (issue 13: the
pre-commit hook's first run on one new caption).

Registering their checks imports only what declares them; a bundle check
with nothing in the inventory to read returns before importing its helpers.
Each run is a fresh interpreter (what is imported is the point:
fresh_assessment.py): it builds the registry as the CLI does and assesses a
folder through the pipeline, as the hook assesses its staged view. On
bundles that hold what the checks read (a README showing images, a sources
manifest, images, a scraper, a card, vendored code) the helpers are
imported, and the findings and facts are those the checks gave when they
imported everything as they registered.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import make_bundle
from fresh_assessment import assess_fresh
from PIL import Image

PLUGINS = "aiart_release.default_plugins"
MEDIA_CHECKS = ("media", "media-av", "media-credentials", "alt-text", "media-ocr", "media-marks")
PROVENANCE_FACTS = ("scraped", "manifest_items", "third_party_items", "consent_unknown")
NO_FACTS = {"scraped": False, "manifest_items": 0, "third_party_items": 0, "consent_unknown": 0}

# What the provenance check imports whenever it has something to read.
PROVENANCE_HELPERS = {f"{PLUGINS}.provenance.{name}"
                      for name in ("manifest", "evidence", "optout", "tools", "credits")}
# What the checks need only to scan: never imported for a caption alone.
HELPERS = {*PROVENANCE_HELPERS, f"{PLUGINS}.provenance.scraping", f"{PLUGINS}.media.faces",
           "aiart_release.readers.ocr"}


def _assess(folder: Path) -> dict:
    return assess_fresh(folder, (*MEDIA_CHECKS, "provenance"), PROVENANCE_FACTS)


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


def test_a_caption_alone_imports_none_of_their_helpers(tmp_path):
    folder = make_bundle(tmp_path / "bundle", {"data/c.txt": "a dog on a hill at dusk\n"})
    result = _assess(folder)
    assert f"{PLUGINS}.media.marks" in result["modules"]  # registered: the run is real
    assert f"{PLUGINS}.provenance.check" in result["modules"]
    assert sorted(HELPERS & set(result["modules"])) == []
    assert result["findings"] == []
    assert result["facts"] == NO_FACTS


# What the checks read, and what they found there when they imported every
# helper as they registered (before issue 13's change): laziness must not
# change a word.
CASES = {
    # A README that shows images without alt text, a sources manifest that
    # misses one image and lists one absent, a script that scrapes the
    # platform the manifest names.
    "images, a manifest and a scraper": {
        "README.md": "# Fox model\n\nSamples:\n\n![](samples/fox.png)\n"
                     "<img src=\"samples/grid.png\" width=\"200\">\n",
        "samples/fox.png": _png("orange"),
        "samples/grid.png": _png("grey"),
        "data/fox-1.png": _png("red"),
        "data/fox-2.png": _png("brown"),
        "data/fox-1.txt": "a red fox in snow\n",
        "data/sources.csv": "file,creator,source,license,consent\n"
                            "fox-1.png,Ann Lee,https://www.deviantart.com/annlee/art/fox,"
                            "CC-BY-4.0,unknown\n"
                            "fox-9.png,Bo Chen,https://example.org/bo,CC0-1.0,yes\n",
        "tools/scrape.py": "import requests\n\n"
                           "for page in range(50):\n"
                           "    html = requests.get(f'https://www.deviantart.com/tag/fox?page={page}')\n"
                           "    open(f'data/fox-{page}.png', 'wb').write(html.content)\n",
    },
    # Only a card says where the data comes from.
    "a card that says the data was harvested": {
        "README.md": "# Prompt Gallery Dataset\n\nThe dataset contains 2,000 generated images "
                     "and their prompts.\n\n## Collection\n\nAll images were collected from "
                     "Flickr and reddit.com by the authors.\n",
        "data/c.txt": "a dog on a hill at dusk\n",
    },
    # Vendored code known by its configuration alone (artifact code, kind config).
    "a vendored package": {
        "vendor/tinylib/setup.cfg": "[metadata]\nname = tinylib\n",
        "data/c.txt": "a dog on a hill at dusk\n",
    },
}
NO_OPT_OUT = "The release holds others' work or data but documents no way to ask for removal " \
             "(opt-out)"
# Per case: the findings, the facts, and helpers imported besides the
# provenance check's (faces for the images, the code reader for the scraper).
EXPECTED = {
    "images, a manifest and a scraper": (
        [["alt-text", "docs.missing-alt-text", "low", "README.md",
          "2 image(s) shown without alt text: samples/fox.png, samples/grid.png"],
         ["media-credentials", "image.no-ai-disclosure", "low", "samples/",
          "In 2 files of samples/; for example samples/fox.png: The image is in a "
          "samples/outputs folder but does not declare itself AI-generated (no valid C2PA "
          "manifest, no IPTC DigitalSourceType)"],
         ["provenance", "attribution.missing", "medium", "CREDITS.md",
          "1 creator whose licence asks for credit (1 item) are not credited in the card or a "
          "CREDITS file"],
         ["provenance", "consent.no-opt-out", "medium", "data/sources.csv", NO_OPT_OUT],
         ["provenance", "consent.unknown", "low", "data/sources.csv",
          "1 third-party item with no consent recorded (each under an open licence)"],
         ["provenance", "provenance.missing-file", "low", "data/sources.csv",
          "1 entry name a file that is not in the bundle"],
         ["provenance", "provenance.scraping-code", "medium", "tools/scrape.py",
          "Scraping tool (`tools/scrape.py`): fetches media in a loop; names deviantart.com. "
          "What it collects needs a recorded source and permission for each item"],
         ["provenance", "provenance.unlisted-file", "medium", "data/sources.csv",
          "1 dataset file not listed in the manifest"]],
        {"scraped": False, "manifest_items": 2, "third_party_items": 1, "consent_unknown": 1},
        {f"{PLUGINS}.media.faces", f"{PLUGINS}.provenance.scraping"}),
    "a card that says the data was harvested": (
        [["provenance", "consent.no-opt-out", "medium", "README.md", NO_OPT_OUT],
         ["provenance", "consent.scraped-without-permission", "high", "README.md",
          "The dataset card says the data was collected from Flickr (a forum or social platform "
          "whose users grant no licence to collectors), and nothing records the creators' "
          "permission"]],
        {**NO_FACTS, "scraped": True}, set()),
    "a vendored package": (
        [["provenance", "attribution.missing", "low", ".",
          "Vendored code `tinylib` is not credited in the card or a CREDITS file"]],
        NO_FACTS, set()),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bundle_with_what_they_read_imports_them_and_finds_the_same(tmp_path, case):
    result = _assess(make_bundle(tmp_path / "bundle", CASES[case]))
    findings, facts, helpers = EXPECTED[case]
    assert result["findings"] == findings
    assert result["facts"] == facts
    assert PROVENANCE_HELPERS | helpers <= set(result["modules"])
