"""Known source datasets (rules/datasets.yaml, plugins/licensing/known_datasets.py):
the data file against its schema, names matched in metadata and prose (whole
words, no false matches), and the findings and facts the licensing check
gives for a release built on them.
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT, make_bundle

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext
from aiart_release.config import Config
from aiart_release.default_plugins.licensing import known_datasets as kd
from aiart_release.default_plugins.licensing.check import Licenses
from aiart_release.facts import gather_facts
from aiart_release.plugins import build_registry

DATA = ROOT / "rules" / "datasets.yaml"
SCHEMA = ROOT / "aiart_release" / "schemas" / "datasets.schema.json"


# --- the data ------------------------------------------------------------------

def test_the_shipped_file_validates_against_its_schema():
    from jsonschema import Draft202012Validator

    data = yaml.safe_load(DATA.read_text("utf-8"))
    errors = [e.message for e in Draft202012Validator(json.loads(SCHEMA.read_text())).iter_errors(
        data)]
    assert errors == []


@pytest.mark.parametrize("broken, complaint", [
    ({"reference": "see the paper"}, "does not match"),  # a reference is a URL
    ({"commercial": "maybe"}, "is not one of"),
    ({"source": ""}, "should be non-empty"),
    ({"issues": [{"summary": "withdrawn", "severity": "high"}]}, "'reference' is a required"),
])
def test_the_schema_refuses_an_entry_without_its_source(broken, complaint):
    from jsonschema import Draft202012Validator

    data = yaml.safe_load(DATA.read_text("utf-8"))
    data["datasets"][0].update(broken)
    errors = [e.message for e in Draft202012Validator(json.loads(SCHEMA.read_text())).iter_errors(
        data)]
    assert any(complaint in e for e in errors), errors


def test_every_entry_cites_a_reference_and_the_ids_and_aliases_are_unique():
    data = yaml.safe_load(DATA.read_text("utf-8"))["datasets"]
    ids = [d["id"] for d in data]
    assert len(ids) == len(set(ids))
    named: dict[str, set[str]] = {}
    for d in data:
        for alias in d["aliases"]:
            named.setdefault(kd._key(alias), set()).add(d["id"])
    assert {k: ids for k, ids in named.items() if len(ids) > 1} == {}, "a name for two datasets"
    assert all(d["reference"].startswith("https://") and d["source"] for d in data)
    # The datasets the issue names are all there.
    for wanted in ("laion-5b", "wikiart", "ffhq", "metfaces", "celeba", "coco", "imagenet",
                   "danbooru", "conceptual-captions", "diffusiondb", "met-open-access",
                   "rijksmuseum", "nga-open-access"):
        assert wanted in ids


# --- matching ------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("ffhq", "ffhq"),
    ("FFHQ", "ffhq"),
    ("huggan/wikiart", "wikiart"),
    ("laion/laion2B-en", "laion-5b"),
    ("laion/laion2B-en-aesthetic", "laion-5b"),
    ("laion/relaion2B-en-research-safe", "re-laion-5b"),
    ("ILSVRC/imagenet-1k", "imagenet"),
    ("imagenet-1k", "imagenet"),
    ("poloclub/diffusiondb", "diffusiondb"),
    ("someone/celeba-hq", "celeba-hq"),   # the name part, against the aliases
    ("someone/CelebA", "celeba"),
    ("google-research-datasets/conceptual_captions", "conceptual-captions"),
    ("my-own-photos", None),
    ("someone/cocoa-beans", None),
    ("", None),
])
def test_metadata_values_match_by_hub_id_or_name(value, expected):
    found = kd.match_id(value)
    assert (found.id if found else None) == expected


@pytest.mark.parametrize("text, expected", [
    ("## Training data\nFine-tuned on FFHQ at 256px.\n", ["ffhq"]),
    ("Trained on images from WikiArt.\n", ["wikiart"]),
    ("We fine-tuned it on 40 images from the Rijksmuseum.\n", ["rijksmuseum"]),
    ("## Training data\nSubsets of LAION-5B and CelebA-HQ.\n", ["laion-5b", "celeba-hq"]),
    # CelebA-HQ is not CelebA, and the longest name wins.
    ("## Training data\nCelebA-HQ only.\n", ["celeba-hq"]),
    # Whole words only: "cocoa" is no COCO, "ImageNetwork" no ImageNet.
    ("## Training data\nPhotos of cocoa pods and my ImageNetwork sketches.\n", []),
    # COCO is matched with its case: "coco" is a word in other sentences.
    ("## Training data\nMy dog coco, photographed at home.\n", []),
    ("## Training data\nCaptions from MS-COCO.\n", ["coco"]),
    # A dataset named in evaluation or citation is no source...
    ("## Evaluation\nFID on FFHQ and COCO.\n## Citation\nDeng et al., ImageNet.\n", []),
    # ...nor one named in passing outside a source section.
    ("# Harbour LoRA\nUnlike FFHQ, these are harbours.\n", []),
    # Code is not prose.
    ("## Training data\n```\npython train.py --data ffhq\n```\nMy photos.\n", []),
])
def test_prose_names_a_source_only_where_it_says_where_data_comes_from(text, expected):
    assert [d.id for d, _ in kd.prose_mentions(text)] == expected


def test_the_dataset_a_card_describes_is_not_its_own_source():
    text = "## Flickr-Faces-HQ Dataset (FFHQ)\n## Data\nFFHQ images were crawled from Flickr.\n"
    assert [d.id for d, _ in kd.prose_mentions(text, title="Flickr-Faces-HQ Dataset (FFHQ)")] \
        == []


# --- findings and facts -----------------------------------------------------------

@pytest.fixture(scope="module")
def registry():
    return build_registry()


@pytest.fixture
def licensing(tmp_path, registry):
    """The licensing check on a bundle of ``files``: (findings, facts)."""

    def run(files, commercial=None):
        root = make_bundle(tmp_path / "b", files)
        inventory = build_inventory(root, registry.classify)
        ctx = BundleContext(inventory=inventory,
                            facts=gather_facts(inventory, Config(commercial=commercial)))
        findings = list(Licenses().scan_bundle(ctx))
        return findings, ctx.provided

    return run


WEIGHTS = b"\x13\0\0\0\0\0\0\0" + b'{"__metadata__":{}}'
LORA_CARD = ("---\nlicense: mit\nbase_model: stabilityai/stable-diffusion-xl-base-1.0\n"
             "datasets:\n  - ffhq\n---\n# Faces LoRA\n## Training data\nFFHQ, 2,000 faces.\n")


def test_a_non_commercial_source_under_commercial_true_is_high(licensing):
    findings, facts = licensing({"model/README.md": LORA_CARD, "model/lora.safetensors": WEIGHTS,
                                 "LICENSE": "MIT License\n"}, commercial=True)
    (conflict,) = [f for f in findings if f.id == "license.source-dataset-noncommercial"]
    assert conflict.severity.value == "high"
    assert (conflict.location.path, conflict.artifact) == ("model/README.md", "model")
    assert "FFHQ" in conflict.message and "CC-BY-NC-SA-4.0" in conflict.message
    assert "`datasets: ffhq`" in conflict.message
    assert conflict.references == ("https://github.com/NVlabs/ffhq-dataset",)
    assert "commercial: false" in conflict.remediation
    # Named twice (metadata and prose): one finding of each kind.
    ids = [f.id for f in findings if f.id.split(".")[1].startswith("source-dataset")]
    assert sorted(ids) == ["consent.source-dataset-people", "license.source-dataset-noncommercial"]
    assert facts["known_source_datasets"] == ["ffhq"]
    assert facts["source_people_no_consent"] is True
    assert facts["source_noncommercial"] is True


def test_without_commercial_intent_the_source_gives_no_conflict(licensing):
    findings, facts = licensing({"model/README.md": LORA_CARD, "model/lora.safetensors": WEIGHTS})
    assert [f for f in findings if f.id == "license.source-dataset-noncommercial"] == []
    people = [f for f in findings if f.id == "consent.source-dataset-people"]
    assert [f.severity.value for f in people] == ["low"]
    assert facts["source_noncommercial"] is True  # still a fact for the policy


def test_a_dataset_card_naming_a_research_only_source_in_source_datasets(licensing):
    card = ("---\nlicense: cc-by-4.0\nsource_datasets:\n  - ILSVRC/imagenet-1k\n"
            "task_categories: [text-to-image]\n---\n# Collage set\n")
    findings, facts = licensing({"data/README.md": card, "data/a.txt": "a collage\n"},
                                commercial=True)
    (conflict,) = [f for f in findings if f.id == "license.source-dataset-noncommercial"]
    assert conflict.artifact == "dataset" and "research use" in conflict.message
    (issues,) = [f for f in findings if f.id == "provenance.source-dataset-issues"]
    assert issues.severity.value == "info"  # ImageNet's issue is documented as info
    assert issues.references == ("https://arxiv.org/abs/1912.07726",)


def test_a_withdrawn_source_is_low_with_its_reference(licensing):
    card = "---\nlicense: mit\n---\n# Model\n## Training data\nTrained on LAION-400M.\n"
    findings, facts = licensing({"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (issues,) = [f for f in findings if f.id == "provenance.source-dataset-issues"]
    assert issues.severity.value == "low"
    assert issues.location.line == 6
    assert "https://purl.stanford.edu/kh752sm9123" in issues.references


def test_public_domain_museum_sources_give_facts_but_no_finding(licensing):
    card = ("---\nlicense: cc0-1.0\n---\n# Still lifes\n## Training data\nPaintings from the "
            "Rijksmuseum and the National Gallery of Art open access collections.\n")
    findings, facts = licensing({"model/README.md": card, "model/lora.safetensors": WEIGHTS},
                                commercial=True)
    assert [f.id for f in findings if "source-dataset" in f.id] == []
    assert facts["known_source_datasets"] == ["nga-open-access", "rijksmuseum"]
    assert facts["source_people_no_consent"] is False


def test_hostile_metadata_is_read_without_error(licensing):
    card = ("---\nlicense: mit\ndatasets:\n  - {a: 1}\n  - " + "x" * 5000 + "\n  - 7\n"
            "source_datasets: 12\n---\n# M\n## Training data\n" + "LAION " * 20000 + "\n")
    findings, facts = licensing({"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    assert facts["known_source_datasets"] == ["laion-5b"]
    assert len([f for f in findings if f.id == "provenance.source-dataset-issues"]) == 1


def test_the_fine_tune_example_names_a_non_commercial_source(registry):
    # examples/fine-tune-declared: `commercial: true`, and the dataset card's
    # `source_datasets` names WikiArt (non-commercial research only).
    # Its aiart-release.yaml declares `commercial: true` (and a training
    # section that only the training check reads).
    root = ROOT / "examples" / "fine-tune-declared"
    inventory = build_inventory(root, registry.classify)
    ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config(commercial=True)))
    findings = list(Licenses().scan_bundle(ctx))
    (conflict,) = [f for f in findings if f.id == "license.source-dataset-noncommercial"]
    assert (conflict.severity.value, conflict.location.path, conflict.artifact) == (
        "high", "data/README.md", "dataset")
    assert "WikiArt" in conflict.message and "`source_datasets: huggan/wikiart`" in \
        conflict.message
    assert ctx.provided["known_source_datasets"] == ["wikiart"]
    assert ctx.provided["source_people_no_consent"] is False  # landscapes: no people


def test_a_card_under_a_non_commercial_licence_keeps_the_one_conflict(licensing):
    # The card's own licence is already license.noncommercial-conflict; its
    # non-commercial source adds no second conflict on the same card.
    card = ("---\nlicense: cc-by-nc-sa-4.0\nsource_datasets: [ffhq]\n"
            "task_categories: [text-to-image]\n---\n# My FFHQ crops\n")
    findings, facts = licensing({"data/README.md": card, "data/a.txt": "a face\n"},
                                commercial=True)
    ids = [f.id for f in findings if "noncommercial" in f.id]
    assert ids == ["license.noncommercial-conflict"]
    assert facts["source_noncommercial"] is True
