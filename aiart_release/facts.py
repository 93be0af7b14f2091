"""Facts: what the bundle declares about itself, gathered before checks run.

Sources: the configuration (``release``, ``commercial``), the YAML front
matter of model and dataset cards (the Hugging Face Hub's card format), and
the inventory (which kinds of media the dataset holds). Checks add facts of their own after they run
(``Check.facts``). Facts are a flat mapping that conditions in the policy and
the misuse rules read by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .bundle import BundleFile, Inventory
from .config import Config
from .textio import TextUnreadable, read_text
from .yamlfile import DataFileError, load_yaml

CARD_KINDS = ("model-card", "dataset-card")
MAX_CARD_BYTES = 4 * 1024 * 1024

# Card metadata keys that facts expose (Hugging Face model and dataset cards).
CARD_KEYS = (
    "license",
    "license_name",
    "license_link",
    "base_model",
    "datasets",
    "tags",
    "pipeline_tag",
    "language",
    "library_name",
    "source_datasets",
    "task_categories",
)

_PIPELINE_MODALITY = {
    "text-to-image": "image",
    "image-to-image": "image",
    "unconditional-image-generation": "image",
    "image-classification": "image",
    "image-segmentation": "image",
    "image-to-text": "image",
    "text-to-video": "video",
    "image-to-video": "video",
    "video-classification": "video",
    "text-to-speech": "audio",
    "text-to-audio": "audio",
    "audio-to-audio": "audio",
    "automatic-speech-recognition": "audio",
    "audio-classification": "audio",
    "text-generation": "text",
    "text2text-generation": "text",
    "text-to-3d": "3d",
    "image-to-3d": "3d",
}
_TAG_MODALITY = {
    "stable-diffusion": "image",
    "stable-diffusion-xl": "image",
    "diffusers": "image",
    "lora": None,
    "text-to-image": "image",
    "tts": "audio",
    "voice-cloning": "audio",
    "music": "audio",
    "audio": "audio",
    "video": "video",
}
_MEDIA_KINDS = {"image": "image", "audio": "audio", "video": "video"}


@dataclass
class Card:
    """A model or dataset card: its metadata and its body text."""

    path: str
    kind: str
    artifact: str
    metadata: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    has_front_matter: bool = False
    body_line: int = 1
    error: str | None = None


@dataclass
class Facts:
    """Declarations plus facts that checks add; ``values`` is what conditions read."""

    config: Config
    cards: list[Card] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    def cards_of(self, kind: str) -> list[Card]:
        return [c for c in self.cards if c.kind == kind]

    def update(self, more: dict[str, Any]) -> None:
        """Merge facts from a check: numbers add up, lists join, flags OR."""
        for key, value in more.items():
            old = self.values.get(key)
            if old is None:
                self.values[key] = value
            elif isinstance(old, bool) and isinstance(value, bool):
                self.values[key] = old or value
            elif isinstance(old, (int, float)) and isinstance(value, (int, float)):
                self.values[key] = old + value
            elif isinstance(old, list) and isinstance(value, list):
                self.values[key] = sorted(set(old) | set(value), key=str)
            else:
                self.values[key] = value


def gather_facts(inventory: Inventory, config: Config) -> Facts:
    """Read the cards and the declarations into facts."""
    facts = Facts(config=config)
    for file in inventory.of_kind(*CARD_KINDS):
        facts.cards.append(read_card(file))
    values = facts.values
    values["artifacts"] = inventory.artifacts_present()
    values["release"] = dict(config.release) if config.release else None
    values["commercial"] = config.commercial
    counts: dict[str, int] = {}
    for f in inventory.files:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    values["files"] = counts
    values["has_model_card"] = bool(facts.cards_of("model-card"))
    values["has_dataset_card"] = bool(facts.cards_of("dataset-card"))
    values["has_license_file"] = bool(inventory.of_kind("license"))

    for key in CARD_KEYS:
        collected: list[Any] = []
        for card in facts.cards:
            value = card.metadata.get(key)
            for item in value if isinstance(value, list) else [value]:
                if item is not None and item not in collected and isinstance(item, (str, int)):
                    collected.append(item)
        values[key] = collected
    values["gated"] = any(
        any(str(k).startswith("extra_gated") for k in card.metadata) or card.metadata.get("gated")
        for card in facts.cards
    )
    values["modality"] = _modality(inventory, values)
    values["card_text"] = _card_text(facts, inventory)
    return facts


MAX_CARD_TEXT = 1024 * 1024


def _card_text(facts: Facts, inventory: Inventory) -> str:
    """The cards' and the top-level README's words, lower case, for the
    keyword conditions of misuse rules (``text: {any: [...]}``)."""
    parts = [card.text for card in facts.cards]
    readme = next((f for f in inventory.files if f.directory == "" and
                   f.name.lower().startswith("readme") and f.kind == "text"), None)
    if readme is not None and readme.readable:
        try:
            parts.append(read_text(readme.abspath, MAX_CARD_TEXT)[0])
        except TextUnreadable:
            pass
    tags = [str(t) for t in facts.values.get("tags", [])]
    return ("\n".join(parts + tags)).lower()[:MAX_CARD_TEXT]


def _modality(inventory: Inventory, values: dict[str, Any]) -> list[str]:
    found = set()
    for tag in values.get("pipeline_tag", []):
        if tag in _PIPELINE_MODALITY:
            found.add(_PIPELINE_MODALITY[tag])
    for tag in values.get("tags", []) + values.get("task_categories", []):
        modality = _TAG_MODALITY.get(str(tag).lower()) or _PIPELINE_MODALITY.get(str(tag).lower())
        if modality:
            found.add(modality)
    for f in inventory.files:
        if f.artifact == "dataset" and f.kind in _MEDIA_KINDS:
            found.add(_MEDIA_KINDS[f.kind])
    return sorted(found)


def read_card(file: BundleFile) -> Card:
    """Parse a card file. Errors are kept on the card, not raised: the cards
    check reports them."""
    card = Card(path=file.path, kind=file.kind, artifact=file.artifact)
    if not file.readable:
        card.error = f"not read ({file.skipped})"
        return card
    try:
        text, _ = read_text(file.abspath, MAX_CARD_BYTES)
    except TextUnreadable as exc:
        card.error = str(exc)
        return card
    card.text = text
    front, body_line = split_front_matter(text)
    card.has_front_matter = front is not None
    card.body_line = body_line
    if front is None:
        return card
    try:
        card.metadata = parse_card_metadata(front, file.path)
    except DataFileError as exc:
        card.error = exc.problems[0]
    return card


def split_front_matter(text: str) -> tuple[str | None, int]:
    """The YAML front matter (between ``---`` lines at the top) and the 1-based
    line where the body starts."""
    lines = text.lstrip("\ufeff").split("\n")
    if not lines or lines[0].strip() != "---":
        return None, 1
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "\n".join(lines[1:i]), i + 2
    return None, 1


def parse_card_metadata(front: str, path: str) -> dict[str, Any]:
    """Card metadata as the Hub reads it: the front matter, loaded with the
    safe YAML loader. Ours also reports positions (offset by the opening
    ``---`` line) and duplicate keys, which the Hub silently collapses.
    Raises DataFileError."""
    loaded = load_yaml("\n" + front, path)
    if loaded.data is None:
        return {}
    if not isinstance(loaded.data, dict):
        raise DataFileError([f"{path}:2:1: the card metadata must be a mapping of keys"])
    return loaded.data


def pyproject_project(inventory: Inventory) -> dict[str, Any]:
    """The ``[project]`` table of the bundle's ``pyproject.toml`` (empty when
    there is none or it does not parse)."""
    import tomllib

    pyproject = inventory.get("pyproject.toml")
    if pyproject is None or not pyproject.readable:
        return {}
    try:
        project = tomllib.loads(pyproject.abspath.read_text("utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return project if isinstance(project, dict) else {}
