"""Licences: which ones the bundle states, whether they agree, and what the
release owes to what it is built on.

Field guide, model-code and publishing checkpoints: "Whose code am I
depending on, and under which licence? Is there content that might infringe
a copyright? Who owns the outputs?" A GGUF file's ``general.license`` is a
licence declaration like a card's ``license``, and its
``general.base_model.*`` names base models like a card's ``base_model``.
A LoRA trained on FLUX.1 [dev] (a
non-commercial licence) and released under MIT for commercial use gets
``license.noncommercial-conflict`` (critical); a fine-tune of Stable
Diffusion released without the OpenRAIL use restrictions gets
``license.rail-restrictions-missing``; a README that says "do not sell the
outputs" above an MIT licence gets ``license.restriction-outside-license``.
"""

from __future__ import annotations

from aiart_release.bundle import TEXT_KINDS
from aiart_release.checks import Check
from aiart_release.facts import Fact
from aiart_release.findings import Checkpoint

# What the check reads is imported when there is something to read (.scan):
# registering the check imports only this declaration, and a bundle of data
# alone (the pre-commit hook on one staged caption) none of the readers.

# The source datasets the cards name (known_datasets.py): its findings and facts.
SOURCE_DATASET_FINDINGS = {
    "license.source-dataset-noncommercial": "A source dataset that forbids commercial use, in "
                                            "a release declared commercial",
    "consent.source-dataset-people": "A source dataset holds people who did not agree to be in it",
    "provenance.source-dataset-issues": "A source dataset has documented problems (withdrawn, "
                                        "harmful content, personal data)",
}
SOURCE_DATASET_PROVIDES = {
    "known_source_datasets": Fact(list, "the ids (rules/datasets.yaml) of the known datasets the "
                                        "cards name as sources (`[ffhq, laion-5b]`)"),
    "source_people_no_consent": Fact(bool, "a source dataset holds photographs of people who did "
                                           "not consent (FFHQ, CelebA, LAION-5B...)"),
    "source_noncommercial": Fact(bool, "a source dataset's terms forbid commercial use "
                                       "(non-commercial or research only)"),
}
# Kinds of file read whatever their names: licence texts, code (download
# scripts, training scripts, source headers) and configurations.
_READ_KINDS = frozenset({"license", "code", "config"})
# Suffixes read: GGUF metadata, the banner of a style sheet.
_READ_SUFFIXES = frozenset({".gguf", ".css", ".scss", ".less"})
# Words in the names of the other files read: READMEs, terms of use, files
# named as cards, notices named for licences (each reader's own pattern
# asks more of a name; these only choose whether to look).
_NAME_STARTS = ("readme", "terms", "usage")
_NAME_WORDS = ("licen", "card")


class Licenses(Check):
    id = "licenses"
    # 2: a statement's scope is the artifact it names; base models are read
    # from the release's scripts, configurations and README. 3: the dataset
    # the release's own scripts download (dataset_downloads), and
    # license.linked-dataset-unlicensed. 4: source datasets named in the
    # top-level README's prose.
    version = "4"
    # Licence texts, cards, configs, code headers; a GGUF file is copied when opened.
    bundle_reads = TEXT_KINDS | {"other"}
    # Reads only the bundle, its facts and its settings (docs/plugins.md).
    bundle_cacheable = True
    checkpoint = Checkpoint.PUBLISHING
    covers = frozenset({Checkpoint.DATASET, Checkpoint.MODEL_CODE, Checkpoint.PUBLISHING})
    description = ("Licences identified (SPDX), consistent, and compatible with the base model, "
                   "the code and the commercial intent")
    provides = {
        "licenses": Fact(list, "every SPDX licence id the bundle states (files, cards, READMEs, "
                               "pyproject.toml, SPDX headers)"),
        "license_of": Fact(dict, "the licence ids stated for each artifact "
                                 "(`{model: [MIT], dataset: [CC-BY-4.0]}`)"),
        "model_downloads": Fact(list, "the release's own download scripts that fetch weights "
                                      "named after it (its model, published by link)"),
        "dataset_downloads": Fact(list, "where the release's own download scripts fetch its "
                                        "dataset (`path:line`): data files from the host that "
                                        "serves its weights or named after it, or a Hub dataset "
                                        "named after it (its dataset, published by link)"),
        **SOURCE_DATASET_PROVIDES,
    }
    findings = {
        "license.detected": "A licence was identified (which, where, how sure)",
        "license.unidentified": "A licence file that matches no known licence",
        "license.modified": "A standard licence text with clauses added, removed or changed",
        "license.other-incomplete": "A card says `license: other` without license_name and link",
        "license.card-mismatch": "A card's licence differs from the licence file next to it",
        "license.gguf-mismatch": "A GGUF file's `general.license` differs from the model card "
                                 "and the licence file",
        "license.noncommercial-conflict": "Non-commercial material in a release meant for sale",
        "license.rail-restrictions-missing": "Use restrictions of a RAIL base model not passed on",
        "license.llama-obligations": "Llama naming and attribution duties not met",
        "license.permissive-relicense": "Copyleft code released under a permissive licence",
        "license.restriction-outside-license": "A restriction stated outside the licence",
        "license.base-model-unknown": "The base model's licence is not known",
        "license.linked-dataset-unlicensed": "A dataset the release's own script downloads has "
                                             "no licence statement (and maybe no card)",
        **SOURCE_DATASET_FINDINGS,
    }

    def scan_bundle(self, ctx):
        if not _anything_to_read(ctx.inventory, ctx.facts):
            ctx.provide(_nothing_read())
            return
        from .scan import scan

        yield from scan(ctx)


def _anything_to_read(inventory, facts) -> bool:
    """A card, or a file one of the check's readers takes: without one it
    finds nothing, and its facts are those of _nothing_read."""
    return bool(facts.cards) or any(_may_read(f) for f in inventory.files)


def _may_read(file) -> bool:
    name = file.name.lower()
    return (file.kind in _READ_KINDS or file.suffix in _READ_SUFFIXES
            or file.path == "pyproject.toml" or name.startswith(_NAME_STARTS)
            or any(word in name for word in _NAME_WORDS))


def _nothing_read() -> dict:
    """The facts the scan gives a bundle in which it reads nothing (in the
    order it gives them): no licence stated, no download script, no card
    naming a source dataset."""
    return {"model_downloads": [], "dataset_downloads": [], "licenses": [], "license_of": {},
            "known_source_datasets": [], "source_people_no_consent": False,
            "source_noncommercial": False}
