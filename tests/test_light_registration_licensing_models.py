"""Light registration of the licensing, model-files, memorisation and
generation plugins (issue 13: the pre-commit hook's first run on one new
caption).

Registering their checks imports only what declares them; a bundle check
with nothing in the inventory to read returns before importing its helpers:
the licensing check without a card, a licence file, a README, code, a
configuration or a GGUF file (its facts: no licence, no download); the
memorisation check without a training image or a sample text to compare.
Each run is a fresh interpreter (what is imported is the point:
fresh_assessment.py), which builds the registry as the CLI does and
assesses a folder through the pipeline, as the hook assesses its staged
view. On bundles that hold what the checks read the helpers are imported,
and the findings and facts are those the checks gave when they imported
everything as they registered.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from conftest import EXAMPLES, make_bundle
from fresh_assessment import assess_fresh
from model_samples import gguf_bytes
from PIL import Image

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext
from aiart_release.config import Config
from aiart_release.default_plugins.licensing.check import Licenses
from aiart_release.facts import gather_facts
from aiart_release.plugins import build_registry

PLUGINS = "aiart_release.default_plugins"
CHECKS = ("licenses", "model-files", "model-load-code", "gguf-metadata", "memorisation",
          "generation")
LICENSING_FACTS = ("licenses", "license_of", "model_downloads", "dataset_downloads",
                   "known_source_datasets", "source_people_no_consent", "source_noncommercial")
MEMORISATION_FACTS = ("near_copies", "near_duplicate_images", "text_overlaps")
FACTS = (*LICENSING_FACTS, *MEMORISATION_FACTS, "gguf_license")
# What the full licensing scan provided for a bundle of data alone.
NO_LICENSING_FACTS = {"licenses": [], "license_of": {}, "model_downloads": [],
                      "dataset_downloads": [], "known_source_datasets": [],
                      "source_people_no_consent": False, "source_noncommercial": False}
NO_FACTS = {**NO_LICENSING_FACTS, "near_copies": 0, "near_duplicate_images": 0,
            "text_overlaps": 0, "gguf_license": None}

# What the licensing check imports whenever it has something to read.
LICENSING_HELPERS = {f"{PLUGINS}.licensing.{name}"
                     for name in ("scan", "sources", "stated", "base_models", "known_datasets")}
# What the checks need only to scan: never imported for a caption alone.
HELPERS = {*LICENSING_HELPERS, f"{PLUGINS}.licensing.readme", f"{PLUGINS}.licensing.sections",
           f"{PLUGINS}.licensing.identify", f"{PLUGINS}.memorisation.text_overlap",
           "aiart_release.readers.gguf", "aiart_release.hamming"}
CAPTION = "a dog on a hill at dusk\n"
MIT = (EXAMPLES / "own-work" / "LICENSE").read_text()


def _assess(folder: Path) -> dict:
    return assess_fresh(folder, CHECKS, FACTS)


def test_a_caption_alone_imports_none_of_their_helpers(tmp_path):
    folder = make_bundle(tmp_path / "bundle", {"data/c.txt": CAPTION})
    result = _assess(folder)
    for registered in ("licensing.check", "memorisation.check", "model_files.check",
                       "generation.check"):  # registered: the run is real
        assert f"{PLUGINS}.{registered}" in result["modules"]
    assert sorted(HELPERS & set(result["modules"])) == []
    assert result["findings"] == []
    assert result["facts"] == NO_FACTS


def test_the_licensing_scan_of_a_caption_gives_the_facts_of_its_early_return(tmp_path):
    # The early return stands for the whole scan: the same (no) findings,
    # the same facts, for a bundle in which the scan reads nothing.
    from aiart_release.default_plugins.licensing.scan import scan

    root = make_bundle(tmp_path / "bundle", {"data/c.txt": CAPTION})
    contexts = []
    for run in (lambda ctx: Licenses().scan_bundle(ctx), scan):
        inventory = build_inventory(root, build_registry().classify)
        ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config()))
        contexts.append((list(run(ctx)), ctx.provided))
    assert contexts[0] == contexts[1] == ([], NO_LICENSING_FACTS)


def _gguf(license_id: str, base_url: str) -> bytes:
    return gguf_bytes({"general.name": "Tiny", "general.license": license_id,
                       "general.base_model.count": 1, "general.base_model.0.repo_url": base_url})


def _png(seed: int) -> bytes:
    """A grey noise image: each seed its own perceptual hash."""
    pixels = random.Random(seed).randbytes(64 * 64)
    out = io.BytesIO()
    Image.frombytes("L", (64, 64), pixels).resize((256, 256)).save(out, "PNG")
    return out.getvalue()


# What the checks read, and what they found there when they imported every
# helper as they registered (before issue 13's change): laziness must not
# change a word.
CASES = {
    # A model card naming a base model and a source dataset, a licence
    # file, GPL code under an MIT release, a script that downloads the
    # release's data, and a restriction written outside the licence.
    "a card, a licence, code and a download script": {
        "README.md": "---\nlicense: mit\nbase_model: runwayml/stable-diffusion-v1-5\n"
                     "datasets:\n- ffhq\n---\n# FoxLora\n\nA LoRA fine-tuned from "
                     "runwayml/stable-diffusion-v1-5. Do not sell the images you make "
                     "with it.\n",
        "LICENSE": MIT,
        "src/colour.py": "# SPDX-License-Identifier: GPL-3.0-only\nRED = 1\n",
        "scripts/download_data.sh": "wget https://foxlora.example.org/data/train.jsonl\n",
        "data/c.txt": CAPTION,
    },
    # A GGUF file is all the licensing check reads.
    "a GGUF file": {
        "model/m.gguf": _gguf("cc-by-nc-4.0", "https://huggingface.co/black-forest-labs/"
                                              "FLUX.1-dev"),
        "data/c.txt": CAPTION,
    },
    # A text file named for licences (a notice), among the dataset's captions.
    "a notice of the data's licences": {
        "data/image_licenses.txt": "All images in this folder are licensed under CC BY 4.0.\n",
        "data/c.txt": CAPTION,
    },
    # Training images (two the same) and a sample that copies one of them.
    "training images and a sample": {
        "data/a.png": _png(1),
        "data/b.png": _png(1),
        "data/d.png": _png(2),
        "samples/s.png": _png(2),
        "data/c.txt": CAPTION,
    },
}
NO_CONSENT = ("Built on Flickr-Faces-HQ (FFHQ) (named in `datasets: ffhq`): it holds "
              "photographs of people who were not asked to be in it (consent: none)")
NEAR_DUPLICATES = ("2 of 3 training images fall into 1 near-duplicate cluster (perceptual hashes "
                   "at most 6 of 64 bits apart; the largest holds 2): the field guide asks how "
                   "diverse the dataset is, and images seen many times in training are the "
                   "first a model memorises")
NEAR_COPY = ("Sample output is a near-copy of the training image data/d.png (0 of 64 bits of "
             "their perceptual hashes differ; 8 or fewer is a near-copy): the model may have "
             "memorised it, and hands back someone's work or photo almost as it was")
# Per case: the findings, the facts, and the helpers imported (the licence
# readers, the GGUF reader, the hash search).
EXPECTED = {
    "a card, a licence, code and a download script": (
        [["licenses", "consent.source-dataset-people", "low", "README.md", NO_CONSENT],
         ["licenses", "license.detected", "info", "LICENSE",
          "MIT (text matches the SPDX text (100%))"],
         ["licenses", "license.detected", "info", "README.md",
          "MIT (card metadata `license: mit`)"],
         ["licenses", "license.detected", "info", "src/colour.py",
          "GPL-3.0-only (SPDX-License-Identifier)"],
         ["licenses", "license.permissive-relicense", "high", "src/colour.py",
          "src/colour.py is under GPL-3.0-only (copyleft), but the release is licensed MIT: "
          "copyleft code cannot be re-licensed permissively"],
         ["licenses", "license.rail-restrictions-missing", "high", "README.md",
          "Fine-tuned from runwayml/stable-diffusion-v1-5 (CreativeML Open RAIL-M): its use "
          "restrictions must pass on to derivatives, but the model is released under MIT"],
         ["licenses", "license.restriction-outside-license", "medium", "README.md",
          "Line 9 adds a restriction (commercial-use) that the licence (MIT) does not have: "
          "\u201cDo not sell the images you make with it.\u201d"]],
        {**NO_FACTS, "licenses": ["GPL-3.0-only", "MIT"],
         "license_of": {"model": ["MIT"], "code": ["GPL-3.0-only", "MIT"], "dataset": ["MIT"]},
         "dataset_downloads": ["scripts/download_data.sh:1"], "known_source_datasets": ["ffhq"],
         "source_people_no_consent": True, "source_noncommercial": True},
        LICENSING_HELPERS),
    "a GGUF file": (
        [["licenses", "license.detected", "info", "model/m.gguf",
          "CC-BY-NC-4.0 (GGUF metadata `general.license: cc-by-nc-4.0`)"],
         ["licenses", "license.rail-restrictions-missing", "high", "model/m.gguf",
          "Fine-tuned from black-forest-labs/FLUX.1-dev (FLUX.1 [dev] Non-Commercial License): "
          "its use restrictions must pass on to derivatives, but the model is released under "
          "CC-BY-NC-4.0"]],
        {**NO_FACTS, "licenses": ["CC-BY-NC-4.0"], "license_of": {"model": ["CC-BY-NC-4.0"]},
         "gguf_license": ["cc-by-nc-4.0"]},
        {*LICENSING_HELPERS, "aiart_release.readers.gguf"}),
    "a notice of the data's licences": (
        [["licenses", "license.detected", "info", "data/image_licenses.txt",
          "CC-BY-4.0 for data/ (named in a notice)"]],
        {**NO_FACTS, "licenses": ["CC-BY-4.0"], "license_of": {"dataset": ["CC-BY-4.0"]}},
        LICENSING_HELPERS),
    "training images and a sample": (
        [["memorisation", "image.near-duplicates", "medium", "data", NEAR_DUPLICATES],
         ["memorisation", "model.near-copy", "high", "samples/s.png", NEAR_COPY]],
        {**NO_FACTS, "near_copies": 1, "near_duplicate_images": 2},
        {"aiart_release.hamming"}),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bundle_with_what_they_read_imports_them_and_finds_the_same(tmp_path, case):
    result = _assess(make_bundle(tmp_path / "bundle", CASES[case]))
    findings, facts, helpers = EXPECTED[case]
    assert result["findings"] == findings
    assert result["facts"] == facts
    assert helpers <= set(result["modules"])
