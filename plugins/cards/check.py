"""The cards check: its declaration, and the findings that need no card read
(weights or a dataset with no card beside them). What a card says is read
by :mod:`.reading`, imported when the bundle holds a card or a top-level
README.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from aiart_release.checks import Check
from aiart_release.facts import Fact
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural

# Vendored copies and test data are not what the release publishes.
NOT_RELEASED = ("generated", "fixture")


class Cards(Check):
    id = "cards"
    # Reads the cards the core parsed (facts.cards), file names, and a
    # top-level README that is no card.
    bundle_reads = frozenset({"text"})
    # Reads only the bundle, its facts and its settings (docs/plugins.md).
    bundle_cacheable = True
    checkpoint = Checkpoint.PUBLISHING
    covers = frozenset({Checkpoint.DATASET, Checkpoint.PUBLISHING})
    description = ("Model and dataset cards exist, parse, hold no template text, answer the "
                   "questions of their templates, and use the Hub's identifiers")
    # 5: pii.pseudonymous-ids (a card describing records that keep who made
    # them); a sentence asking the reader for their own id is none.
    version = "5"
    provides = {
        "published_by_link": Fact(
            list, "artifacts the release publishes with no file of them in the bundle: a "
                  "top-level README that describes the dataset the release is named after "
                  "(downloaded from elsewhere)"),
        "card_shows_people": Fact(
            bool, "a dataset card says its data shows real people (a dataset of faces, "
                  "photographs of people, recordings of speakers), whether or not its files "
                  "are in the bundle"),
        "card_pseudonymous_ids": Fact(
            bool, "a dataset card says its records hold identifiers of the people who made "
                  "them (user ids, usernames, handles, account ids, hashed or encrypted ids, "
                  "e-mail or IP addresses), whether or not its files are in the bundle"),
        "dataset_consent_undocumented": Fact(
            bool, "the bundle has dataset files but no dataset card that says whether the "
                  "people in it consented (a consent, privacy or opt-out section or sentence) "
                  "or that it shows nobody"),
    }
    findings = {
        "docs.model-card-missing": "Model weights with no model card beside them",
        "docs.dataset-card-missing": "A dataset with no dataset card or datasheet",
        "docs.card-placeholder": "A card still holds template text ([More Information Needed])",
        "docs.card-metadata-invalid": "A card's YAML front matter cannot be parsed",
        "docs.card-metadata-missing": "A card has no YAML front matter (licence, tags, base model)",
        "docs.card-incomplete": "A card leaves questions of its template unanswered (with its "
                                "completeness figure)",
        "docs.card-metadata-value": "Card metadata the Hub does not recognise (licence id, "
                                    "model or dataset id, language, task)",
        "docs.card-gating-missing": "The release is declared gated but the card has no "
                                    "`extra_gated_*` fields",
        "consent.people-described": "A dataset card says its data shows real people (medium "
                                    "unless it says they consented)",
        "pii.pseudonymous-ids": "A dataset card says its records hold user ids, usernames, "
                                "handles, hashed ids, e-mail or IP addresses of the people "
                                "who made them",
    }

    def scan_bundle(self, ctx):
        from aiart_release.placement import data_folder

        inventory, facts = ctx.inventory, ctx.facts
        weights = [f for f in inventory.of_kind("model-weights")
                   if f.context not in NOT_RELEASED]
        if weights and not facts.cards_of("model-card"):
            packaged = _package_of(weights, {f.path for f in inventory.files})
            yield Finding(
                id="docs.model-card-missing",
                severity=Severity.LOW if packaged else Severity.MEDIUM,
                message=f"{plural(len(weights), 'model file')} but no model card"
                + (f" (package data of `{packaged}`: say in its README where they come from)"
                   if packaged else ""),
                location=Location(path=weights[0].directory + "/" if weights[0].directory
                                  else "."),
                remediation=(
                    "Add a README.md beside the weights with YAML metadata (license, "
                    "base_model, datasets, tags) and sections on uses, limitations and "
                    "training data"
                ),
                artifact="model",
                references=("https://huggingface.co/docs/hub/model-cards",),
            )
        data = [f for f in inventory.of_artifact("dataset")
                if f.kind in ("image", "audio", "video", "table", "text")
                and f.context not in NOT_RELEASED]
        if data and not facts.cards_of("dataset-card"):
            yield Finding(
                id="docs.dataset-card-missing",
                severity=Severity.LOW,
                message=f"A dataset of {plural(len(data), 'file')} with no dataset card",
                location=Location(path=data_folder(data)),
                remediation=(
                    "Add a dataset card (README.md in the data folder, or DATASET_CARD.md) "
                    "saying where the data comes from, who is in it, and under which licence"
                ),
                artifact="dataset",
                checkpoint=Checkpoint.DATASET,
                references=("https://huggingface.co/docs/hub/datasets-cards",),
            )
        if not facts.cards and not top_readme_files(inventory, facts):
            # No card and no top-level README: the facts read_cards gives
            # when nothing speaks of the data. reading.py is imported only
            # when there is one to read (start-up of the pre-commit hook).
            ctx.provide({"dataset_consent_undocumented": bool(data), "card_shows_people": False,
                         "published_by_link": [], "card_pseudonymous_ids": False})
            return
        from .reading import read_cards

        yield from read_cards(ctx, data)


def top_readme_files(inventory, facts) -> list:
    """The top-level READMEs that are no card (what :func:`reading.read_cards`
    reads of the dataset the release is named after)."""
    cards = {c.path for c in facts.cards}
    return [file for file in inventory.files
            if not (file.directory or file.path in cards or file.kind != "text"
                    or not file.name.lower().startswith("readme"))]


def _package_of(weights, paths: set[str]) -> str | None:
    """The Python package whose folder holds every weight file (its package
    data, as a vendored library ships it), or None."""
    names = set()
    for f in weights:
        folder = PurePosixPath(f.path).parent
        owner = next((p for p in [folder, *folder.parents]
                      if p.as_posix() != "." and f"{p.as_posix()}/__init__.py" in paths), None)
        if owner is None:
            return None
        names.add(owner.name)
    return names.pop() if len(names) == 1 else None
