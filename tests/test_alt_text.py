"""Alt text (plugins/media/alt_text.py): cards and the README that show
bundle images without a description give docs.missing-alt-text, one per
card, listing the images; described, remote and missing images do not."""

from __future__ import annotations

import pytest
from conftest import make_bundle

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext
from aiart_release.config import Config
from aiart_release.default_plugins.media.alt_text import AltText, images_shown
from aiart_release.facts import gather_facts
from aiart_release.plugins import build_registry

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
CARD = "---\nlicense: mit\nbase_model: runwayml/stable-diffusion-v1-5\n---\n# Model Card: Foxes\n"


def scan(tmp_path, files):
    root = make_bundle(tmp_path / "b", files)
    inventory = build_inventory(root, build_registry().classify)
    ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config()))
    return list(AltText().scan_bundle(ctx))


def test_card_images_without_alt_are_listed_once_per_card(tmp_path):
    card = CARD + (
        "![](samples/fox1.png)\n"
        "![a red fox in snow, generated](samples/fox2.png)\n"
        '<img src="samples/fox3.png">\n'
        '<img alt="" src="./samples/fox4.png" width=200>\n'
        "<img src='samples/fox5.png' alt='a fox at dusk'>\n"
        "![](https://img.shields.io/badge/license-mit-blue)\n"
        "![](samples/missing.png)\n"
    )
    files = {"README.md": card, **{f"samples/fox{i}.png": PNG for i in range(1, 6)}}
    [finding] = scan(tmp_path, files)
    assert finding.id == "docs.missing-alt-text" and finding.severity.value == "low"
    assert finding.location.path == "README.md"
    assert finding.checkpoint.value == "publishing"
    assert "3 image(s)" in finding.message
    for shown in ("samples/fox1.png", "samples/fox3.png", "samples/fox4.png"):
        assert shown in finding.message
    for described in ("fox2", "fox5", "missing", "shields"):
        assert described not in finding.message


def test_plain_readme_showing_docs_images_counts(tmp_path):
    files = {"README.md": "# Foxes\n\nSee the grid:\n\n![](docs/grid.png)\n",
             "docs/grid.png": PNG, "src/app.py": "print(1)\n"}
    [finding] = scan(tmp_path, files)
    assert finding.location.path == "README.md" and "docs/grid.png" in finding.message


def test_card_in_a_subfolder_resolves_relative_and_rooted_paths(tmp_path):
    files = {"model/README.md": CARD + "![](../samples/a.png) ![](/samples/b.png) "
                                       "![](../../outside.png)\n",
             "samples/a.png": PNG, "samples/b.png": PNG}
    [finding] = scan(tmp_path, files)
    assert "samples/a.png" in finding.message and "samples/b.png" in finding.message


def test_described_images_give_nothing(tmp_path):
    files = {"README.md": CARD + "![a fox](samples/fox.png)\n", "samples/fox.png": PNG}
    assert scan(tmp_path, files) == []


@pytest.mark.parametrize("text, expected", [
    ("![](a.png)", [("a.png", "")]),
    ('![x](<a b.png> "title")', [("a b.png", "x")]),
    ('![](a.png "title") ![y](b.png)', [("a.png", ""), ("b.png", "y")]),
    ('<IMG SRC="a.png" ALT="a fox">', [("a.png", "a fox")]),
    ("<img src=a.png>", [("a.png", "")]),
    ("<img alt='x'>", []),
    ("![" + "[" * 10_000, []),
])
def test_images_shown(text, expected):
    assert images_shown(text) == expected


@pytest.mark.parametrize("hostile", ["![" * 1_000_000, "![a](" * 400_000, "<img " * 400_000,
                                     '![](a "' * 300_000])
def test_hostile_card_text_does_not_hang(hostile):
    """Unclosed images by the hundred thousand: each took 5 s to minutes with
    unbounded repetitions, 0.1 s or less now; 10 s says only "no hang"."""
    import time

    start = time.perf_counter()
    assert images_shown(hostile) == []
    assert time.perf_counter() - start < 10


def test_finding_passes_the_engines_contract(tmp_path):
    from aiart_release.checks import finding_problem

    [finding] = scan(tmp_path, {"README.md": "![](a.png)\n", "a.png": PNG})
    assert finding_problem(finding) is None
