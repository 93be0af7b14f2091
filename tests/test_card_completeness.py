"""Card completeness and metadata values (plugins/cards/): which questions
of the Hugging Face model card template and ABOUT ML, or of Datasheets for
Datasets, a card answers; whether its metadata uses the Hub's identifiers;
whether a release declared gated gates its card.

Cards are written into tmp_path and read by the real inventory and card
reader, as the engine does; the untouched templates come from
huggingface_hub itself (a dev dependency).
"""

from __future__ import annotations

import time

import pytest
from conftest import make_bundle

from aiart_release.bundle import build_inventory
from aiart_release.checks import BundleContext
from aiart_release.config import Config
from aiart_release.default_plugins.cards import Cards, hub_languages, hub_licenses, hub_tasks
from aiart_release.facts import gather_facts
from aiart_release.plugins import build_registry

WEIGHTS = b"\x13\0\0\0\0\0\0\0" + b'{"__metadata__":{}}'
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


@pytest.fixture(scope="module")
def registry():
    return build_registry()


@pytest.fixture
def scan(tmp_path, registry):
    """The cards check on a bundle of ``files``: (findings, facts provided)."""

    def run(files, **config):
        root = make_bundle(tmp_path / "b", files)
        inventory = build_inventory(root, registry.classify)
        ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config(**config)))
        return list(Cards().scan_bundle(ctx)), ctx.provided

    return run


def only(findings, finding_id):
    return [f for f in findings if f.id == finding_id]


# --- the templates, untouched ---------------------------------------------------

def test_the_hub_model_card_template_answers_none_of_its_questions(scan):
    from huggingface_hub import ModelCard, ModelCardData

    text = str(ModelCard.from_template(ModelCardData(license="mit",
                                                     base_model="runwayml/stable-diffusion-v1-5")))
    findings, _ = scan({"model/README.md": text, "model/lora.safetensors": WEIGHTS})
    (hit,) = only(findings, "docs.card-incomplete")
    # Every section is there, with template text under it: unanswered, not missing.
    assert hit.message.startswith("Model card answers 0 of 6 questions")
    assert ("unanswered: intended use, out-of-scope use, bias, risks and limitations, "
            "training data, evaluation, environmental impact") in hit.message
    assert "missing" not in hit.message
    assert (hit.severity.value, hit.artifact, hit.context) == ("low", "model", "prose")
    # The template's default sentences ("Carbon emissions can be estimated
    # using ...", "More information needed for further recommendations")
    # answer nothing either.
    assert only(findings, "docs.card-placeholder")  # and the placeholder finding stays


def test_the_hub_dataset_card_template_misses_consent(scan):
    from huggingface_hub import DatasetCard, DatasetCardData

    text = str(DatasetCard.from_template(DatasetCardData(license="cc-by-4.0")))
    findings, facts = scan({"data/README.md": text, "data/a.png": PNG})
    (hit,) = only(findings, "docs.card-incomplete")
    # `license` in the metadata answers distribution; the template has no
    # consent section at all.
    assert hit.message.startswith("Dataset card answers 1 of 9 questions of Datasheets for "
                                  "Datasets; missing: consent; unanswered: motivation")
    assert hit.checkpoint.value == "dataset"
    assert facts == {"dataset_consent_undocumented": True, "card_shows_people": False,
                     "published_by_link": [], "card_pseudonymous_ids": False}


# --- filled cards, headings by meaning -------------------------------------------

MODEL_CARD = """---
license: creativeml-openrail-m
base_model: runwayml/stable-diffusion-v1-5
datasets: [studio/harbour-sketches]
language: [en]
pipeline_tag: text-to-image
---
# Harbour sketches LoRA

## Intended uses & limitations
### How to use
Prompt with "harbour sketch" to draw harbours in the studio's pen-and-wash style.
### Misuse, malicious use and out-of-scope use
Do not use it to imitate other living artists or to depict real people.
### Limitations and bias
Boats are drawn better than people; it has only seen northern European harbours.

## Training data
Three hundred sketches drawn by the studio between 2019 and 2023.

## Evaluation results
We compared 200 samples with held-out sketches; FID 41.

## Carbon footprint
About 0.4 kg CO2eq: four hours on one A100 in France.
"""


def test_a_card_with_its_own_headings_is_complete(scan):
    findings, _ = scan({"model/README.md": MODEL_CARD, "model/lora.safetensors": WEIGHTS})
    assert findings == []


def test_answers_in_prose_and_metadata_count(scan):
    card = ("---\nlicense: mit\nco2_eq_emissions:\n  emissions: 120\ndatasets: [me/ink]\n---\n"
            "# Ink LoRA\nThis LoRA is intended for drawing ink washes of my own city. It should "
            "not be used to imitate other artists. It may produce distorted hands (a known "
            "limitation). We evaluated it on 50 prompts by eye.\n")
    findings, _ = scan({"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    assert only(findings, "docs.card-incomplete") == []


def test_a_heading_with_nothing_under_it_is_unanswered_and_a_missing_one_is_missing(scan):
    card = MODEL_CARD.replace("We compared 200 samples with held-out sketches; FID 41.", "") \
        .replace("## Carbon footprint\nAbout 0.4 kg CO2eq: four hours on one A100 in France.\n",
                 "")
    findings, _ = scan({"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (hit,) = only(findings, "docs.card-incomplete")
    assert hit.message == ("Model card answers 4 of 6 questions of the Hugging Face model card "
                           "template and ABOUT ML; missing: environmental impact; unanswered: "
                           "evaluation")
    # Only evaluation and environmental impact: information, not a gap in
    # what the field guide asks first.
    assert hit.severity.value == "info"
    assert hit.evidence == "missing: environmental impact; unanswered: evaluation"


def test_testing_data_is_no_training_data_and_out_of_scope_no_intended_use(scan):
    card = ("---\nlicense: mit\n---\n# M\n## Out-of-Scope Use\nPortraits of real people are "
            "out of bounds here.\n## Testing Data\nFifty held-out sketches from the studio.\n")
    findings, _ = scan({"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (hit,) = only(findings, "docs.card-incomplete")
    assert "missing: intended use, bias, risks and limitations, training data" in hit.message
    assert hit.severity.value == "low"


# --- dataset cards: people and consent ------------------------------------------

PORTRAITS = """---
license: cc-by-4.0
---
# Studio portraits

## Dataset structure
1,200 photographs of faces, 512x512 PNG, one caption each.

## Collection process
The photos were taken by the studio at open days in 2023.

## Preprocessing
Cropped and aligned with dlib.

## Uses
For training portrait LoRAs in the studio's style.
"""


def test_photos_of_people_with_no_consent_answer_is_medium(scan):
    findings, facts = scan({"data/README.md": PORTRAITS, "data/a.png": PNG})
    (hit,) = only(findings, "docs.card-incomplete")
    assert hit.severity.value == "medium"
    assert "consent" in hit.message.split("missing: ")[1]
    assert "whether they know and agreed" in hit.remediation
    assert facts == {"dataset_consent_undocumented": True, "card_shows_people": True,
                     "published_by_link": [], "card_pseudonymous_ids": False}


def test_an_opt_out_stated_in_prose_answers_consent(scan):
    card = PORTRAITS + ("\nEveryone photographed signed a model release, and anyone may ask "
                        "to be removed on request at studio@example.org.\n")
    findings, facts = scan({"data/README.md": card, "data/a.png": PNG})
    (hit,) = only(findings, "docs.card-incomplete")
    assert "consent" not in hit.message
    assert hit.message.endswith("missing: motivation, maintenance")
    assert hit.severity.value == "info"  # what remains is not what the guide asks first
    assert facts == {"dataset_consent_undocumented": False, "card_shows_people": True,
                     "published_by_link": [], "card_pseudonymous_ids": False}


def test_faces_in_paintings_are_not_photographs_of_people(scan):
    card = ("---\nlicense: cc-by-nc-2.0\n---\n# Faces from paintings\nHuman faces extracted "
            "from works of art in museum collections; 1,336 images.\n")
    findings, _ = scan({"data/README.md": card, "data/a.png": PNG})
    (hit,) = only(findings, "docs.card-incomplete")
    assert hit.severity.value == "low"


def test_a_page_not_meant_as_the_card_and_a_nested_readme_are_information(scan):
    files = {
        "README.md": "---\nlicense: cc-by-4.0\ntask_categories: [text-to-image]\n---\n"
                     "# Harbours dataset\nThe dataset contains 2,000 photographs of harbours.\n",
        "data/notes.md": "# The Harbours Subset\n\nThe subset contains 2,000 images.\n",
        "competition/test_images/README.md": "# Test images dataset\nThe dataset contains 30 "
                                             "images.\n## License\nCC BY 2.0\n",
        "data/a.png": PNG,
    }
    findings, _ = scan(files)
    levels = {f.location.path: f.severity.value for f in only(findings, "docs.card-incomplete")}
    assert levels["README.md"] == "low"
    assert levels["competition/test_images/README.md"] == "info"
    assert levels.get("data/notes.md", "info") == "info"


# --- metadata values -------------------------------------------------------------

def test_the_hub_lists_ship_with_the_tool():
    assert {"mit", "apache-2.0", "creativeml-openrail-m", "cc-by-nc-4.0", "other"} <= \
        hub_licenses()
    assert {"text-to-image", "image-to-image", "unconditional-image-generation"} <= hub_tasks()
    assert {"en", "fr", "eng", "yue"} <= hub_languages()


@pytest.mark.parametrize("metadata, expected", [
    ("license: MIT License", "`license: MIT License` (not a Hub licence id: `mit`?)"),
    ("license: Apache-2.0", "`license: Apache-2.0` (write it `apache-2.0`)"),
    ("license: Apache License, Version 2.0", "(not a Hub licence id: `apache-2.0`?)"),
    ("license: CC BY-NC 4.0", "(not a Hub licence id: `cc-by-nc-4.0`?)"),
    ("license: my-studio-terms", "`license: my-studio-terms` (not a Hub licence id: use one"),
    ("base_model: https://huggingface.co/runwayml/stable-diffusion-v1-5",
     "(a URL: write the id `runwayml/stable-diffusion-v1-5`)"),
    ("base_model: sd15", "`base_model: sd15` (no owner: write the Hub id as `owner/name`"),
    ("datasets: [my photos of Lyon]", "not a Hub dataset id (`owner/name`)"),
    ("language: [english]", "`language: english` (a language name: write the ISO 639 code `en`)"),
    ("language: [en-US]", "`language: en-US` (a regional code: write `en`"),
    ("language: [EN]", "`language: EN` (write it `en`)"),
    ("language: [xx]", "`language: xx` (not an ISO 639-1 or 639-3 code)"),
    ("pipeline_tag: text2image", "`pipeline_tag: text2image` (not a Hub task"),
    ("pipeline_tag: text_to_image", "(not a Hub task: `text-to-image`?)"),
])
def test_metadata_values_the_hub_would_not_read(scan, metadata, expected):
    card = f"---\n{metadata}\n---\n" + MODEL_CARD.split("---\n", 2)[2]
    findings, _ = scan({"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (hit,) = only(findings, "docs.card-metadata-value")
    assert expected in hit.message
    assert (hit.severity.value, hit.context, hit.location.line) == ("low", "metadata", 1)


def test_valid_metadata_and_dataset_task_categories(scan):
    findings, _ = scan({"model/README.md": MODEL_CARD, "model/lora.safetensors": WEIGHTS,
                        "data/README.md": "---\nlicense: cc0-1.0\nlanguage: [fr, yue]\n"
                                          "task_categories: [text-to-image, image-to-text]\n"
                                          "---\n# Data\n", "data/a.png": PNG})
    assert only(findings, "docs.card-metadata-value") == []


def test_many_bad_values_make_one_finding(scan):
    languages = "\n".join(f"  - lang{i}" for i in range(500))
    card = f"---\nlicense: x\nlanguage:\n{languages}\n---\n# M\n"
    findings, _ = scan({"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (hit,) = only(findings, "docs.card-metadata-value")
    assert hit.count == 51  # the licence and the first 50 languages
    assert hit.message.endswith("; +46 more")
    assert len(hit.evidence) <= 500


# --- gating ------------------------------------------------------------------------

def test_a_release_declared_gated_needs_gating_fields(scan):
    files = {"model/README.md": MODEL_CARD, "model/lora.safetensors": WEIGHTS}
    findings, _ = scan(files, release={"model": "gated"})
    (hit,) = only(findings, "docs.card-gating-missing")
    assert (hit.severity.value, hit.artifact) == ("medium", "model")
    assert "extra_gated_prompt" in hit.remediation
    # The prompt alone names the terms but asks nobody anything.
    prompt_only = MODEL_CARD.replace("pipeline_tag: text-to-image\n",
                                     "pipeline_tag: text-to-image\nextra_gated_prompt: Agree to "
                                     "the terms\n")
    findings, _ = scan({**files, "model/README.md": prompt_only}, release={"model": "gated"})
    (hit,) = only(findings, "docs.card-gating-missing")
    assert "lacks `extra_gated_fields`" in hit.message
    gated = prompt_only.replace("extra_gated_prompt: Agree to the terms\n",
                                "extra_gated_prompt: Agree to the terms\n"
                                "extra_gated_fields:\n  Name: text\n  Affiliation: text\n")
    findings, _ = scan({**files, "model/README.md": gated}, release={"model": "gated"})
    assert only(findings, "docs.card-gating-missing") == []
    # A card with no metadata at all is no gated card either.
    bare = "# A LoRA\n\nA style LoRA trained on my own paintings.\n"
    findings, _ = scan({**files, "model/README.md": bare}, release={"model": "gated"})
    assert len(only(findings, "docs.card-gating-missing")) == 1
    findings, _ = scan(files, release={"model": "open"})
    assert only(findings, "docs.card-gating-missing") == []


# --- hostile cards -------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "<!--" * 250_000,                         # comments that never close
    "#" * 400_000 + " x" + " " * 200_000 + "#",  # a heading-like line the pattern backtracks on
    "## Consent\n" * 50_000,                  # fifty thousand empty sections
    "photos of faces " * 60_000,              # cues everywhere, one line
])
def test_hostile_cards_are_read_quickly(scan, body):
    started = time.monotonic()
    findings, _ = scan({"data/README.md": "---\nlicense: mit\n---\n# D\n" + body,
                        "data/a.png": PNG})
    assert time.monotonic() - started < 10  # minutes before the comment walk was linear
    assert len(only(findings, "docs.card-incomplete")) == 1


def test_a_dataset_that_says_it_shows_nobody_answers_people_and_consent(scan):
    card = PORTRAITS.replace("1,200 photographs of faces", "1,200 photographs of harbours") \
        + "\nLandscapes and boats only: no people.\n"
    findings, facts = scan({"data/README.md": card, "data/a.png": PNG})
    (hit,) = only(findings, "docs.card-incomplete")
    assert hit.message.endswith("missing: motivation, maintenance")
    assert facts == {"dataset_consent_undocumented": False, "card_shows_people": False,
                     "published_by_link": [], "card_pseudonymous_ids": False}


def test_the_fine_tune_example(registry):
    # examples/fine-tune-declared (helper I1's bundle): its model card answers
    # all but evaluation; its dataset card says "no people" but not its uses.
    from conftest import EXAMPLES

    # Its aiart-release.yaml declares `commercial: true` (and a training
    # section that only the training check reads).
    root = EXAMPLES / "fine-tune-declared"
    inventory = build_inventory(root, registry.classify)
    ctx = BundleContext(inventory=inventory, facts=gather_facts(inventory, Config(commercial=True)))
    found = {f.location.path: f for f in Cards().scan_bundle(ctx) if f.id == "docs.card-incomplete"}
    assert found["model/README.md"].severity.value == "info"
    assert found["model/README.md"].message.endswith("missing: evaluation")
    assert found["data/README.md"].severity.value == "low"
    assert "uses" in found["data/README.md"].message
    assert ctx.provided == {"dataset_consent_undocumented": False,
                            "card_shows_people": False,
                     "published_by_link": [], "card_pseudonymous_ids": False}


@pytest.mark.parametrize("heading, question", [
    ("Intended Uses", "intended use"),
    ("How to use", "intended use"),
    ("Misuse and Out-of-scope Use", "out-of-scope use"),
    ("Ethical considerations", "bias, risks and limitations"),
    ("Caveats and recommendations", "bias, risks and limitations"),
    ("Training data", "training data"),
    ("Fine-tuning dataset", "training data"),
    ("Evaluation results", "evaluation"),
    ("Training resources", "environmental impact"),
    ("Carbon footprint", "environmental impact"),
])
def test_headings_are_matched_by_meaning(scan, heading, question):
    card = f"---\nlicense: mit\n---\n# M\n## {heading}\nFour words of real answer here.\n"
    findings, _ = scan({"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (hit,) = only(findings, "docs.card-incomplete")
    assert question not in hit.message
    assert hit.message.startswith("Model card answers 1 of 6")


def test_a_local_path_is_shown_by_its_last_part(scan):
    card = ("---\nbase_model: /home/jane.doe/models/sd15-pruned.safetensors\n---\n"
            + MODEL_CARD.split("---\n", 2)[2])
    findings, _ = scan({"model/README.md": card, "model/lora.safetensors": WEIGHTS})
    (hit,) = only(findings, "docs.card-metadata-value")
    assert "jane" not in hit.message + hit.evidence
    assert "`base_model: …/sd15-pruned.safetensors` (a local path: write the Hub id" in hit.message
