"""Known source datasets named in the prose of the release's top-level README
(a README that is no card): read with the card-prose rules (source sections,
"trained/fine-tuned/built on X"), plus sentences that say the data was
sampled, drawn, taken, collected or generated from a dataset; never a
comparison, an evaluation, an alternative considered, a citation or an
instruction to the reader. Findings name the README and its line.
"""

from __future__ import annotations

import pytest
import test_known_datasets as card_tests

from aiart_release.default_plugins.licensing import known_datasets as kd

# The licensing check on a bundle written into tmp_path: the card tests' fixtures.
registry, licensing = card_tests.registry, card_tests.licensing


def readme_ids(text: str) -> list[str]:
    return [d.id for d, _ in kd.prose_mentions(text, kd._title(text), readme=True)]


@pytest.mark.parametrize("text, expected", [
    # Sampled / drawn / generated from: a source in a README, with emphasis.
    ("# Edits\nWe sampled 700 prompts from the _LAION Aesthetics_ dataset.\n", ["laion-5b"]),
    ("# Edits\nThe captions were drawn from **MS-COCO**, then rewritten.\n", ["coco"]),
    ("# Edits\nPairs were generated from CelebA-HQ portraits.\n", ["celeba-hq"]),
    # The card-prose rules hold in a README too.
    ("# Faces\n## Training data\nFFHQ at 256px.\n", ["ffhq"]),
    ("# Faces\nI trained the 256px model on FFHQ for 550k iterations.\n", ["ffhq"]),
    # An alternative considered, in a source section and in the same line as
    # a real source: only the source counts.
    ("# Edits\n## Creating the dataset\nWe sampled prompts from the LAION Aesthetics set. "
     "We also considered MSCOCO, but chose LAION.\n", ["laion-5b"]),
    # Comparison, evaluation, citation, installation, instructions: no source.
    ("# Edits\n## Data\nUnlike FFHQ, our faces are drawings.\n", []),
    ("# Edits\nWe evaluate FID on images sampled from COCO.\n", []),
    ("# Edits\n## Evaluation\nTrained baselines on ImageNet.\n", []),
    ("# Edits\n## Citation\nImages taken from CelebA (Liu et al.).\n", []),
    ("# Tool\n## Data\nTo download the images from Danbooru, run fetch.sh.\n", []),
    ("# Tool\nDownload images from Danbooru via tag search.\n", []),
    ("# Tool\n## Data\nIf you want, you can use images taken from WikiArt.\n", []),
    # Named in passing, outside a source section, with no source verb.
    ("# Edits\nOur model beats everything on FFHQ.\n", []),
    # The dataset the README is about is not its own source.
    ("# The FFHQ dataset\n## Data\nFFHQ images were collected from Flickr.\n", []),
])
def test_a_readme_names_a_source_only_where_it_says_the_data_came_from_it(text, expected):
    assert readme_ids(text) == expected


def test_the_verb_added_for_readmes_does_not_change_card_prose():
    """A card's prose keeps its own rules: "generated from" is a README's."""
    text = "# Edits\nPairs were generated from CelebA-HQ portraits.\n"
    assert [d.id for d, _ in kd.prose_mentions(text)] == []


README = ("# Edit model\n\nCode and a download script for the edit dataset.\n\n"
          "## Making the dataset\n\n"
          "We sampled the input captions from the _LAION Aesthetics_ dataset. "
          "We also considered MSCOCO.\n")


def test_a_readme_source_gives_the_findings_and_facts_with_its_line(licensing):
    findings, facts = licensing({"README.md": README, "LICENSE": "MIT License\n",
                                 "make_pairs.py": "print('pairs')\n"})
    people = [f for f in findings if f.id == "consent.source-dataset-people"]
    assert [(f.severity.value, f.location.path, f.location.line, f.context) for f in people] \
        == [("low", "README.md", 7, "prose")]
    assert "README.md line 7" in people[0].message
    assert facts["known_source_datasets"] == ["laion-5b"]  # MSCOCO was only considered
    assert facts["source_people_no_consent"] is True


def test_a_readme_in_a_subfolder_or_a_card_is_not_read_twice(licensing):
    # A README in a folder is not the release's README; a top-level README
    # that is a card is read as a card (its path and line once, not twice).
    card = "---\nlicense: mit\n---\n# Faces LoRA\n## Training data\nFFHQ, 2,000 faces.\n"
    findings, facts = licensing({"README.md": card, "docs/README.md": README,
                                 "lora.safetensors": b"\x13\0\0\0\0\0\0\0{\"__metadata__\":{}}"})
    people = [f for f in findings if f.id == "consent.source-dataset-people"]
    assert [(f.location.path, f.location.line) for f in people] == [("README.md", 6)]
    assert facts["known_source_datasets"] == ["ffhq"]


def test_a_readme_source_is_no_more_severe_than_a_card_one(licensing):
    text = "# Faces\n\nWe trained the model on FFHQ.\n"
    findings, _ = licensing({"README.md": text, "LICENSE": "MIT License\n",
                             "train.py": "print(1)\n"}, commercial=True)
    severities = {f.id: f.severity.value for f in findings if "source-dataset" in f.id}
    assert severities == {"license.source-dataset-noncommercial": "high",
                          "consent.source-dataset-people": "low"}


def test_a_hostile_readme_is_read_bounded_and_without_error(licensing):
    line = "We sampled prompts from the " + "LAION " * 50_000 + "\n"
    text = "# X\n" + line * 20 + "\x00\xff binary tail\n"
    findings, facts = licensing({"README.md": text, "LICENSE": "MIT License\n"})
    assert facts["known_source_datasets"] == ["laion-5b"]
