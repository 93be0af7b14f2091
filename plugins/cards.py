"""Model and dataset cards: present, parseable, and filled in.

Field guide, publishing checkpoint: the card is where a release answers who
made it, from what, for which uses, with which limits. A model without a card,
or a card that still holds the template's "[More Information Needed]" under
"Bias, Risks, and Limitations", leaves those questions open.

Example: ``model/README.md`` generated from the Hugging Face template and
never edited gets ``docs.card-placeholder`` (medium: the risks section is
unfilled), listing every line that holds template text.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity, plural

# Text a card template leaves behind. Each is unambiguous outside code blocks.
_PLACEHOLDERS = [
    # The Hugging Face model and dataset card templates fill every unanswered
    # field with this.
    re.compile(r"\[More Information Needed\]", re.IGNORECASE),
    # Unrendered Jinja from a card template.
    re.compile(r"\{\{\s*[\w.|()' \"-]{1,80}\s*\}\}"),
    re.compile(r"\{%-?\s*\w+[^%]{0,80}%\}"),
    # Writer's markers.
    re.compile(r"(?<![\w-])(TODO|TBD|FIXME|TKTK)(?![\w-])"),
    re.compile(r"\blorem ipsum\b", re.IGNORECASE),
    re.compile(r"[\[<](?:your|insert|add|enter) [^\]>\n]{1,40}[\]>]", re.IGNORECASE),
]
# Sections whose emptiness matters most: the questions the field guide asks.
_KEY_SECTIONS = re.compile(
    r"bias|risk|limitation|out-of-scope|misuse|training data|\buses?\b|consent|personal"
    r"|sensitive",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_MAX_SECTIONS_SHOWN = 5
# Vendored copies and test data are not what the release publishes.
_NOT_RELEASED = ("generated", "fixture")


# A name that says the file is meant as a card: ``model_card.md``,
# ``DATASET-CARD.md``, ``datasheet.md``. (The classifier may also find a
# card by its content; such a page owes no metadata.)
_MEANT_AS_CARD = re.compile(
    r"(?:^|[-_. ])(?:model[-_ ]?cards?|data(?:[-_ ]?set)?[-_ ]?(?:cards?|sheets?))(?:$|[-_. ])"
    r"|^modelcard", re.I)


def _is_the_card(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.lower().startswith("readme") or bool(_MEANT_AS_CARD.search(name.rsplit(".", 1)[0]))


def _package_of(weights, paths: set[str]) -> str | None:
    """The Python package whose folder holds every weight file (its package
    data, as a vendored library ships it), or None."""
    from pathlib import PurePosixPath

    names = set()
    for f in weights:
        folder = PurePosixPath(f.path).parent
        owner = next((p for p in [folder, *folder.parents]
                      if p.as_posix() != "." and f"{p.as_posix()}/__init__.py" in paths), None)
        if owner is None:
            return None
        names.add(owner.name)
    return names.pop() if len(names) == 1 else None


def placeholder_lines(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line number, section path) of each line that holds template text,
    outside fenced code blocks and HTML comments. The section path joins the
    headings above the line (``Uses > Direct Use``)."""
    hits = []
    headings: list[tuple[int, str]] = []  # (level, title), the open sections
    fence: str | None = None  # the opening fence (``` or ~~~~), while inside one
    in_comment = False
    for offset, line in enumerate(text.split("\n")):
        number = first_line + offset
        opening = _FENCE.match(line)
        if fence is not None:
            # CommonMark: a fence closes only with the same character, at
            # least as long, and nothing after it.
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip()[len(opening.group(1)):].strip():
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        visible = line
        if in_comment:
            if "-->" not in visible:
                continue
            visible = visible.split("-->", 1)[1]
            in_comment = False
        visible = re.sub(r"<!--.*?-->", "", visible)
        if "<!--" in visible:
            visible = visible.split("<!--", 1)[0]
            in_comment = True
        heading = _HEADING.match(visible)
        if heading:
            level = len(heading.group(1))
            headings = [h for h in headings if h[0] < level] + [(level, heading.group(2))]
        if any(p.search(visible) for p in _PLACEHOLDERS):
            hits.append((number, " > ".join(title for _, title in headings)))
    return hits


class Cards(Check):
    id = "cards"
    checkpoint = Checkpoint.PUBLISHING
    covers = frozenset({Checkpoint.DATASET, Checkpoint.PUBLISHING})
    description = "Model and dataset cards exist, parse, and hold no template text"
    findings = {
        "docs.model-card-missing": "Model weights with no model card beside them",
        "docs.dataset-card-missing": "A dataset with no dataset card or datasheet",
        "docs.card-placeholder": "A card still holds template text ([More Information Needed])",
        "docs.card-metadata-invalid": "A card's YAML front matter cannot be parsed",
        "docs.card-metadata-missing": "A card has no YAML front matter (licence, tags, base model)",
    }

    def scan_bundle(self, ctx):
        from aiart_release.placement import data_folder

        inventory, facts = ctx.inventory, ctx.facts
        weights = [f for f in inventory.of_kind("model-weights")
                   if f.context not in _NOT_RELEASED]
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
                and f.context not in _NOT_RELEASED]
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
        for card in facts.cards:
            yield from self._card(card)

    def _card(self, card):
        label = "Model card" if card.kind == "model-card" else "Dataset card"
        checkpoint = Checkpoint.DATASET if card.kind == "dataset-card" else Checkpoint.PUBLISHING
        if card.error and not card.text:
            return  # unreadable: reported by the inventory or below
        if card.error:
            yield Finding(
                id="docs.card-metadata-invalid",
                severity=Severity.MEDIUM,
                message=f"{label} metadata cannot be parsed: {card.error}",
                location=Location(path=card.path, line=1),
                remediation="Fix the YAML between the --- lines at the top of the card",
                artifact=card.artifact,
                checkpoint=checkpoint,
            )
        elif not card.has_front_matter and _is_the_card(card.path):
            # The Hub reads a README's metadata, and a file named as a card
            # is meant as one; a page of a data folder that happens to
            # describe a dataset is documentation, and needs none.
            yield Finding(
                id="docs.card-metadata-missing",
                severity=Severity.LOW,
                message=f"{label} has no YAML metadata (license, tags, base model)",
                location=Location(path=card.path, line=1),
                remediation=(
                    "Start the card with a --- block declaring at least `license` and `tags`"
                ),
                artifact=card.artifact,
                checkpoint=checkpoint,
                references=("https://huggingface.co/docs/hub/model-cards#model-card-metadata",),
            )
        hits = placeholder_lines(card.text)
        if not hits:
            return
        sections: list[str] = []  # the innermost heading of each hit
        key: list[str] = []  # those under a section the field guide asks about
        for _, path in hits:
            leaf = path.rsplit(" > ", 1)[-1]
            if leaf and leaf not in sections:
                sections.append(leaf)
                if _KEY_SECTIONS.search(path):
                    key.append(leaf)
        shown = sections[:_MAX_SECTIONS_SHOWN]
        more = f", +{len(sections) - len(shown)} more" if len(sections) > len(shown) else ""
        lines = tuple(n for n, _ in hits)
        yield Finding(
            id="docs.card-placeholder",
            severity=Severity.MEDIUM if key else Severity.LOW,
            message=(
                f"{label} still holds template text on {plural(len(lines), 'line')}"
                + (f"; unanswered: {', '.join(key[:_MAX_SECTIONS_SHOWN])}" if key else "")
            ),
            location=Location(path=card.path, line=lines[0], lines=lines),
            evidence=("sections: " + ", ".join(shown) + more) if shown else None,
            count=len(lines),
            remediation=(
                "Answer each section or delete it; the field guide's questions on uses, "
                "risks and training data deserve real answers"
            ),
            artifact=card.artifact,
            checkpoint=checkpoint,
        )


@hookimpl
def aiart_release_register_checks(register):
    register(Cards())
