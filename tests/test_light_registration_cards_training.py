"""Light registration of the cards, training and license-presence plugins
(issue 13: the pre-commit hook's first run on one new caption).

Registering their checks imports only what declares them; a check with
nothing to read (no card or top-level README; nothing stated about the
training; no licence file, README or code) imports none of its readers.
Each run is a fresh interpreter (what is imported is the point): it builds
the registry as the CLI does and assesses a folder through the pipeline, as
the hook assesses its staged view. On bundles that hold what the checks read
the readers are imported, and the findings and facts are those the checks
gave when their plugins imported everything as they registered.

The licensing plugin is disabled in these runs: its own check reads
licences with the same modules (``licensing.sources``, ``licensing.readme``)
and is not what is tested here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_bundle
from fresh_assessment import assess_fresh

PLUGINS = "aiart_release.default_plugins"
CHECKS = ("cards", "training", "license-presence")
FACTS = ("dataset_consent_undocumented", "card_shows_people", "published_by_link",
         "card_pseudonymous_ids", "training_emissions_kg", "training_energy_kwh",
         "trained_from_scratch", "training_emissions_stated")

CARD_READERS = {f"{PLUGINS}.cards.{name}"
                for name in ("reading", "people_described", "pseudonymous")}
TRAINING_READERS = {f"{PLUGINS}.training.{name}"
                    for name in ("analysis", "declared", "estimate", "tables")}
LICENCE_READERS = {f"{PLUGINS}.licensing.{name}" for name in ("sources", "readme")}


def _assess(folder: Path) -> dict:
    return assess_fresh(folder, CHECKS, FACTS, disabled=("studio", "licensing"))


NO_TRAINING = {"training_emissions_kg": None, "training_energy_kwh": None,
               "trained_from_scratch": None, "training_emissions_stated": None}
# The findings and facts of a caption alone: what reading every card,
# statement and licence would give.
CAPTION_ALONE = (
    [["cards", "docs.dataset-card-missing", "low", "data/",
      "A dataset of 1 file with no dataset card"],
     ["license-presence", "docs.license-missing", "high", "data/",
      "No licence covers the dataset (1 file)"]],
    {"dataset_consent_undocumented": True, "card_shows_people": False,
     "published_by_link": [], "card_pseudonymous_ids": False, **NO_TRAINING})


def test_a_caption_alone_imports_none_of_their_readers(tmp_path):
    result = _assess(make_bundle(tmp_path / "bundle", {"data/c.txt": "a dog on a hill\n"}))
    modules = set(result["modules"])
    # Registered and run: the checks' declarations are imported.
    assert {f"{PLUGINS}.cards.check", f"{PLUGINS}.training.check",
            f"{PLUGINS}.licensing.presence"} <= modules
    assert sorted((CARD_READERS | TRAINING_READERS | LICENCE_READERS
                   | {"aiart_release.spdx"}) & modules) == []
    assert (result["findings"], result["facts"]) == CAPTION_ALONE


MODEL_CARD = """---
base_model: runwayml/stable-diffusion-v1-5
---
# Fox LoRA

## Uses

[More Information Needed]

## Bias, Risks, and Limitations

[More Information Needed]
"""
DATASET_CARD = """---
license: cc-by-4.0
---
# Portraits

The dataset holds photographs of people taken at a street fair, with the
username of each contributor and a hashed user id.

## Data Fields

| field | description |
|---|---|
| image | the photograph |
| user_id | the contributor's hashed user id |
"""

# What each plugin reads: cards (a model card with template text, a
# dataset card describing people and their ids, a top-level README that is
# no card), the training section, a model card and a training tool's files
# (a Weights & Biases run), licences (a LICENSE file, a README's licence
# section, an SPDX header).
CASES = {
    "a model card": {
        "model/README.md": MODEL_CARD,
        "model/LICENSE": "MIT License\n\nPermission is hereby granted, free of charge, to any "
                         "person\n",
        "train.py": "print('train')\n",
    },
    "a dataset card describing people and their ids": {
        "data/README.md": DATASET_CARD,
        "data/p1.txt": "a woman at a stall\n",
        "tools/fetch.py": "# SPDX-License-Identifier: MIT\nprint('fetch')\n",
    },
    "a top-level README and a training run's files": {
        "README.md": "# Street Faces\n\nStreet Faces is a dataset of photographs of people's "
                     "faces taken in public.\n\n## License\n\nApache-2.0\n",
        "run/wandb-metadata.json": json.dumps({"gpu": "NVIDIA A100-SXM4-40GB", "gpu_count": 2}),
        "run/wandb-summary.json": json.dumps({"_runtime": 7200}),
        "app.py": "print('app')\n",
    },
    # A caption and the training section, nothing else.
    "a training section alone": {
        "aiart-release.yaml": "training:\n  hardware: RTX 4090\n  hours: 6\n  country: France\n",
        "data/c.txt": "a dog on a hill\n",
    },
}
ESTIMATE = ("Training emitted about 284 g CO2e (range 142 g–454 g): 1 × RTX 4090 (450 W) for "
            "6 h in France (105 gCO2e/kWh), PUE 1 (1–1.6); 2.7 kWh. That is driving a car about "
            "1.14 km, or 0.0001% of the 'five cars' figure (284 t, Strubell et al. 2019) "
            "(count assumed 1)")
# Per case: the findings and facts (those of the checks before the change),
# the readers imported, and those that had nothing to read.
EXPECTED: dict[str, tuple[list, dict, set, set]] = {
    "a model card": (
        [["cards", "docs.card-incomplete", "low", "model/README.md",
          "Model card answers 0 of 6 questions of the Hugging Face model card template and "
          "ABOUT ML; missing: out-of-scope use, training data, evaluation, environmental "
          "impact; unanswered: intended use, bias, risks and limitations"],
         ["cards", "docs.card-placeholder", "medium", "model/README.md",
          "Model card still holds template text on 2 lines; unanswered: Uses, Bias, Risks, "
          "and Limitations"],
         ["license-presence", "docs.license-missing", "high", ".",
          "No licence covers the code (1 file)"],
         ["training", "training.emissions-undeclared", "low", "model/README.md",
          "Nothing says what training cost: no co2_eq_emissions in a model card, and no "
          "estimate can be made (hardware and hours not stated)"]],
        {"dataset_consent_undocumented": False, "card_shows_people": False,
         "published_by_link": [], "card_pseudonymous_ids": False, **NO_TRAINING,
         "trained_from_scratch": False, "training_emissions_stated": False},
        CARD_READERS | TRAINING_READERS | LICENCE_READERS, set()),
    "a dataset card describing people and their ids": (
        [["cards", "consent.people-described", "medium", "data/README.md",
          "The dataset card says its data shows people; it does not say whether they "
          "consented"],
         ["cards", "docs.card-incomplete", "medium", "data/README.md",
          "Dataset card answers 3 of 9 questions of Datasheets for Datasets; missing: "
          "motivation, collection process, consent, preprocessing, uses, maintenance"],
         ["cards", "pii.pseudonymous-ids", "medium", "data/README.md",
          "The dataset card says its records hold usernames or handles and account or user "
          "ids of the people who made them: hashed ids are pseudonymous, not anonymous"]],
        {"dataset_consent_undocumented": True, "card_shows_people": True,
         "published_by_link": [], "card_pseudonymous_ids": True, **NO_TRAINING},
        CARD_READERS | LICENCE_READERS | {"aiart_release.spdx"}, TRAINING_READERS),
    "a top-level README and a training run's files": (
        [["cards", "consent.people-described", "medium", "README.md",
          "The README says the dataset it is named after shows people; it does not say "
          "whether they consented"]],
        {"dataset_consent_undocumented": False, "card_shows_people": True,
         "published_by_link": ["dataset"], "card_pseudonymous_ids": False,
         **NO_TRAINING, "training_emissions_kg": 0.6704000000000001,
         "training_energy_kwh": 1.6},
        CARD_READERS | TRAINING_READERS | LICENCE_READERS, set()),
    "a training section alone": (
        [*CAPTION_ALONE[0],
         ["training", "training.emissions-estimate", "info", "aiart-release.yaml", ESTIMATE],
         ["training", "training.emissions-undeclared", "low", "aiart-release.yaml",
          "The model card does not state co2_eq_emissions; the estimate is about 284 g CO2e"],
         ["training", "training.from-scratch", "info", "aiart-release.yaml",
          "No base model is declared: if the model was fine-tuned, name what it started "
          "from; if it was trained from scratch, could a pre-trained model have served?"]],
        {**CAPTION_ALONE[1], "training_emissions_kg": 0.2835, "training_energy_kwh": 2.7,
         "training_emissions_stated": False},
        TRAINING_READERS, CARD_READERS | LICENCE_READERS),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bundle_with_what_they_read_imports_them_and_finds_the_same(tmp_path, case):
    result = _assess(make_bundle(tmp_path / "bundle", CASES[case]))
    findings, facts, imported, idle = EXPECTED[case]
    assert result["findings"] == findings
    assert result["facts"] == facts
    modules = set(result["modules"])
    assert sorted(imported - modules) == []
    assert sorted(idle & modules) == []
