"""Opt-out and removal routes recognised however they are worded
(plugins/provenance/optout.py): a should-find / should-not-find table, then
the route in each place a release writes it."""

from __future__ import annotations

import pytest
from conftest import make_bundle

from aiart_release.default_plugins.provenance.optout import route_sentence

ROUTES = [
    "## How to get your photo removed\n\nEmail the maintainers.",
    "If you'd like your image taken down, write to us.",
    "You can request removal of any image at any time.",
    "Contact us to be excluded from future versions.",
    "Artists can opt out at any time.",
    "Opt-out: https://example.org/optout",
    "Opting-out is a one-line e-mail.",
    "If you do not want your work included, tell us.",
    "If you don't want your art to be used for training, contact us.",
    "Send takedown requests to the studio.",
    "We honour DMCA notices.",
    "If you appear in the data and wish to be removed, e-mail privacy@example.org.",
    "We will remove your artwork on request.",
    "File a removal request through the form.",
    "If you are the photographer, open an issue and we will remove it.",
    "Check your name on haveibeentrained.com before we train.",
    "Photographers who want their pictures deleted can reach us on the forum.",
    # A contact for concerns about the data is a way to object.
    "If you would like to share feedback or report concerns, please email us.",
]
NOT_ROUTES = [
    "We removed blurry images.",
    "Remove the cache folder before running.",
    "Images were excluded if smaller than 256 px.",
    "Please contact us for business inquiries.",
    "Contact us with questions about the code.",
    "The optimizer opts for a larger step.",
    "Take down the server with docker compose down.",
    "Use dropout 0.1.",
    "Delete your checkpoints to save space.",
    "You can remove the background with rembg.",
    "This excludes the validation set.",
    "Set remove_unused_columns to false.",
    "Opt for the smaller model if memory is tight.",
    # A removal verb in one sentence and a contact in the next make no route.
    "Duplicates were removed. Contact us with questions.",
]


@pytest.mark.parametrize("text", ROUTES)
def test_a_route_is_recognised_however_it_is_worded(text):
    assert route_sentence(text)


@pytest.mark.parametrize("text", NOT_ROUTES)
def test_ordinary_uses_of_the_same_words_are_not_a_route(text):
    assert route_sentence(text) is None


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
MANIFEST = ("file,creator,source,license,consent\n"
            "images/a.png,Kai,https://example.org/a,CC-BY-4.0,yes\n")
ROUTE = "If you'd like your image taken down, write to removals@example.org.\n"


@pytest.mark.parametrize("where, has_route", [
    ({}, False),
    ({"README.md": "# Harbour\n\n" + ROUTE}, True),
    ({"data/README.md": "# Photos\n\nThe photographs were taken in 2023. " + ROUTE}, True),
    ({"DATASET_CARD.md": "# Harbour\n\n## Removal\n\n" + ROUTE}, True),
    ({"PRIVACY.md": "# Privacy\n\n" + ROUTE}, True),
    ({"CREDITS.md": "Kai\n\n" + ROUTE}, True),
    ({"aiart-release.yaml": "contact: removals@example.org\n"}, True),
    # A route in an unrelated page does not count (nobody looks for it there).
    ({"docs/internals.md": "# Internals\n\n" + ROUTE}, False),
    ({"README.md": "# Harbour\n\nWe removed blurry photos.\n"}, False),
])
def test_the_route_counts_where_a_release_writes_it(cli, tmp_path, where, has_route):
    files = {"LICENSE": "MIT\n", "data/sources.csv": MANIFEST, "data/images/a.png": PNG,
             "CREDITS.md": "Kai\n", **where}
    report = cli("assess", make_bundle(tmp_path / "b", files), "-f", "json").json()
    ids = {f["id"] for f in report["findings"]}
    assert ("consent.no-opt-out" not in ids) == has_route


def test_a_route_in_a_manifest_counts(cli, tmp_path):
    manifest = ("items:\n  - {file: images/a.png, creator: Kai, source: https://example.org/a,"
                " license: CC-BY-4.0, consent: yes}\n"
                "removal: Artists can opt out by writing to removals@example.org\n")
    files = {"LICENSE": "MIT\n", "data/sources.yaml": manifest, "data/images/a.png": PNG,
             "CREDITS.md": "Kai\n"}
    report = cli("assess", make_bundle(tmp_path / "b", files), "-f", "json").json()
    assert "consent.no-opt-out" not in {f["id"] for f in report["findings"]}


def test_an_item_s_consent_answer_in_a_manifest_is_not_a_route(cli, tmp_path):
    for name, manifest in (
            ("data/sources.csv", "file,creator,source,license,consent\n"
                                 "images/a.png,Kai,https://example.org/a,CC-BY-4.0,yes\n"
                                 "images/b.png,Lu,https://example.org/b,CC-BY-4.0,opt-out\n"),
            ("data/sources.yaml", "- {file: images/a.png, creator: Kai, source: "
                                  "https://example.org/a, license: CC-BY-4.0, consent: yes}\n"
                                  "- {file: images/b.png, creator: Lu, source: "
                                  "https://example.org/b, license: CC-BY-4.0,"
                                  " consent: opt-out}\n")):
        files = {"LICENSE": "MIT\n", name: manifest, "data/images/a.png": PNG,
                 "data/images/b.png": PNG + b"b", "CREDITS.md": "Kai, Lu\n"}
        report = cli("assess", make_bundle(tmp_path / name.replace("/", "_"), files),
                     "-f", "json").json()
        ids = {f["id"] for f in report["findings"]}
        assert "consent.refused" in ids and "consent.no-opt-out" in ids, name
