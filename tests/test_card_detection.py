"""Cards found by name and by content (plugins/file_kinds/,
with card content in plugins/file_kinds/cards.py), on small bundles classified as the engine does.

A dataset repository's README is its dataset card; a code repository's
README that mentions a dataset in its training instructions is not.
"""

from __future__ import annotations

import pytest
from conftest import make_bundle

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext
from aiart_release.config import Config
from aiart_release.default_plugins.cards import Cards
from aiart_release.default_plugins.file_kinds.cards import data_score
from aiart_release.facts import gather_facts
from aiart_release.plugins import build_registry

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
WEIGHTS = b"\x13\0\0\0\0\0\0\0" + b'{"__metadata__":{}}'

DATASET_README = """\
# Harbour Lights Dataset

Harbour Lights is a dataset of night photographs of small harbours, made for
training image generators on low-light scenes.

## Dataset

The dataset consists of 412 photographs of 30 harbours. The photographs were
taken by the two of us between 2019 and 2023, and a few were sourced from
friends who agreed to their use.

## License

The images are made available under CC BY 4.0.
"""

CODE_README = """\
# Fast Harbour Diffusion

A training script for fine-tuning diffusion models.

## Installation

pip install -r requirements.txt

## Usage

Prepare your dataset as a folder of images, then run `python train.py --data
path/to/dataset`. We trained on the LSUN dataset for the paper.

## Pretrained models

Download the checkpoints from the releases page.
"""


@pytest.fixture(scope="module")
def registry():
    return build_registry()


@pytest.fixture
def kinds(tmp_path, registry):
    """The kind the inventory gives each file of a bundle made of ``files``."""

    def run(files):
        root = make_bundle(tmp_path / "b", files)
        return {f.path: f.kind for f in build_inventory(root, registry.classify).files}

    return run


@pytest.mark.parametrize("name, kind", [
    ("CLIP_Model_Card.md", "model-card"),
    ("model-card.md", "model-card"),
    ("MODEL_CARD.md", "model-card"),
    ("docs/ModelCard.md", "model-card"),
    ("model_card.rst", "model-card"),
    ("dataset_card.md", "dataset-card"),
    ("DATA_CARD.md", "dataset-card"),
    ("Harbour-Dataset-Card.md", "dataset-card"),
    ("datasheet.md", "dataset-card"),
    ("docs/data-sheet.md", "dataset-card"),
    # Not cards: the words apart, or a card's code.
    ("model_card.py", "code"),
    ("cardinal_model.md", "text"),
    ("card_games.md", "text"),
    ("modelling.md", "text"),
])
def test_cards_by_file_name(kinds, name, kind):
    assert kinds({name: "Some notes.\n"})[name] == kind


@pytest.mark.parametrize("path, text, kind", [
    # The title says what it is.
    ("docs/clip.md", "# Model Card: Harbour-CLIP\n\nNotes.\n", "model-card"),
    ("docs/lights.md", "# Dataset Card for Harbour Lights\n\nNotes.\n", "dataset-card"),
    ("DATASHEET_v2.md", "Datasheet for Harbour Lights\n===\n\nNotes.\n", "dataset-card"),
    # The model card template's sections, with no title saying so.
    ("README.md", "# harbour-lora\n\n## Model Details\nx\n\n## Intended Uses\nx\n\n"
                  "## Limitations\nx\n\n## Training Data\nx\n", "model-card"),
    # Hub front matter: keys only dataset cards use, on any page.
    ("notes/lights.md", "---\ntask_categories: [text-to-image]\n---\n# Lights\n",
     "dataset-card"),
    # A Jekyll page's front matter is not a card's.
    ("docs/post.md", "---\nlayout: post\ntitle: Hello\n---\n# Hello\n", "text"),
    ("README.md", DATASET_README, "dataset-card"),
    ("README.md", CODE_README, "text"),
    # Ordinary pages that mention data.
    ("docs/train.md", "# Training\n\nPut the dataset in data/ and run train.py.\n", "text"),
    ("CHANGELOG.md", "# Changelog\n\n## 1.2\nFaster image loading for large datasets.\n",
     "text"),
])
def test_cards_by_content(kinds, path, text, kind):
    assert kinds({path: text})[path] == kind


def test_a_readme_at_the_root_of_a_data_folder_is_its_card(kinds):
    found = kinds({
        "README.md": CODE_README,
        # Beside the images it describes, one sentence about them is enough.
        "samples/street/README.md": "All images used under CC BY 2.0. See credits.csv.\n",
        "samples/street/a.jpg": PNG,
        "data/README.md": "The photographs were taken by the studio in 2023.\n",
        # A README there that says nothing about the data is not a card.
        "images/README.md": "Run `make thumbnails` to rebuild.\n",
        "images/a.png": PNG,
        # Pictures in a documentation folder illustrate the documentation.
        "docs/README.md": "The figures are released under CC BY 4.0.\n",
        "docs/figure.png": PNG,
    })
    assert found["README.md"] == "text"
    assert found["samples/street/README.md"] == "dataset-card"
    assert found["data/README.md"] == "dataset-card"
    assert found["images/README.md"] == "text"
    assert found["docs/README.md"] == "text"


def test_pages_in_a_data_folder_that_describe_a_dataset_are_cards(kinds):
    found = kinds({
        "data/harbours.md": "# The Harbours Subset\n\nThe subset contains 2,000 images "
                            "filtered from the full collection.\n",
        "data/prompts.md": "# Prompts\n\nThe prompt templates used for evaluation.\n",
    })
    assert found["data/harbours.md"] == "dataset-card"
    assert found["data/prompts.md"] == "text"


def test_the_dataset_score_separates_data_from_code():
    assert data_score(DATASET_README) >= 4
    assert data_score(CODE_README) <= 0


def test_a_dataset_readme_satisfies_the_card_check(tmp_path, registry):
    root = make_bundle(tmp_path / "b", {
        "README.md": DATASET_README, **{f"harbours/{i}.png": PNG for i in range(3)}})
    inventory = build_inventory(root, registry.classify)
    facts = gather_facts(inventory, Config())
    assert [c.path for c in facts.cards_of("dataset-card")] == ["README.md"]
    ids = {f.id for f in Cards().scan_bundle(BundleContext(inventory=inventory, facts=facts))}
    assert "docs.dataset-card-missing" not in ids


def test_a_model_card_by_name_satisfies_the_model_card_check(tmp_path, registry):
    root = make_bundle(tmp_path / "b", {"Harbour_Model_Card.md": "# Harbour\n",
                                        "weights/harbour.safetensors": WEIGHTS})
    inventory = build_inventory(root, registry.classify)
    facts = gather_facts(inventory, Config())
    ids = {f.id for f in Cards().scan_bundle(BundleContext(inventory=inventory, facts=facts))}
    assert "docs.model-card-missing" not in ids


def test_weights_shipped_as_a_package_s_data_are_a_low_finding(tmp_path, registry):
    root = make_bundle(tmp_path / "b", {
        "metric/__init__.py": "", "metric/weights/v1/lin.pth": WEIGHTS})
    inventory = build_inventory(root, registry.classify)
    facts = gather_facts(inventory, Config())
    [missing] = [f for f in Cards().scan_bundle(BundleContext(inventory=inventory, facts=facts))
                 if f.id == "docs.model-card-missing"]
    assert missing.severity.value == "low" and "`metric`" in missing.message
