"""Facts: what the bundle declares about itself, gathered before checks run,
and the registry of every fact anyone may provide.

Sources: the configuration (``release``, ``commercial``), the YAML front
matter of model and dataset cards (the Hugging Face Hub's card format), and
the inventory (which kinds of media the dataset holds). Checks add facts of
their own after they run (``Check.facts``). Facts are a flat mapping that
conditions in the policy and the misuse rules read by name.

Every fact is declared with a type and a one-line meaning: the core's own in
:data:`CORE_FACTS`, a check's in its ``provides`` attribute. The policy and
the rule packs may name only declared facts (a misspelt fact would make its
line silently never fire), and a check may return only the facts it
declares. ``docs/facts.md`` lists them all.

Facts are frozen between stages: :meth:`Facts.merged` returns a new value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .bundle import BundleFile, Inventory
from .config import Config
from .origin import GENERATED
from .readers.limits import CARD_LIMITS, CONFIG_LIMITS, LimitExceeded, read_regular_file
from .readers.text import TextUnreadable, decode, read_text
from .readers.yamlfile import DataFileError, load_yaml
from .records import dataclass

if TYPE_CHECKING:
    from .checks import Check

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


@dataclass(frozen=True)
class Fact:
    """What a fact is: the type of its value and what it means, in one line
    (``Fact(bool, "personal data found in the data itself")``). Any fact may
    also be absent or ``None``: nobody said."""

    type: type
    meaning: str

    @property
    def type_name(self) -> str:
        return self.type.__name__

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is of this fact's type (``None`` always is)."""
        if value is None:
            return True
        if self.type is int:  # True is an int to Python, not a count
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, self.type)


CORE = "core"

# The facts gather_facts builds from the inventory, the cards and
# aiart-release.yaml, before any check runs.
CORE_FACTS: Mapping[str, Fact] = {
    "artifacts": Fact(list, "the artifacts the bundle holds (model, code, dataset)"),
    "release": Fact(dict, "the intended tier per artifact, from `release:` in aiart-release.yaml "
                          "(absent when undeclared)"),
    "commercial": Fact(bool, "`commercial:` from aiart-release.yaml: the release will be used "
                             "commercially"),
    "files": Fact(dict, "the number of files of each kind (`{image: 120, text: 3}`)"),
    "has_model_card": Fact(bool, "the bundle holds a model card"),
    "has_dataset_card": Fact(bool, "the bundle holds a dataset card"),
    "has_license_file": Fact(bool, "the bundle holds a licence file"),
    "license": Fact(list, "`license` of the cards' metadata"),
    "license_name": Fact(list, "`license_name` of the cards' metadata"),
    "license_link": Fact(list, "`license_link` of the cards' metadata"),
    "base_model": Fact(list, "`base_model` of the cards' metadata"),
    "datasets": Fact(list, "`datasets` of the cards' metadata"),
    "tags": Fact(list, "`tags` of the cards' metadata"),
    "pipeline_tag": Fact(list, "`pipeline_tag` of the cards' metadata"),
    "language": Fact(list, "`language` of the cards' metadata"),
    "library_name": Fact(list, "`library_name` of the cards' metadata"),
    "source_datasets": Fact(list, "`source_datasets` of the cards' metadata"),
    "task_categories": Fact(list, "`task_categories` of the cards' metadata"),
    "gated": Fact(bool, "a card already asks for gated access (`extra_gated_*` or `gated`)"),
    "modality": Fact(list, "what the model makes or the dataset holds: image, audio, video, "
                           "text, 3d (from card tags and dataset media)"),
    "card_text": Fact(str, "the cards', tags' and top-level README's words, lower case (read by "
                           "`text:` conditions)"),
}
assert set(CARD_KEYS) <= set(CORE_FACTS), "every card key is a declared fact"


class UndeclaredFact(ValueError):
    """A check returned a fact it does not declare in ``provides``, or a value
    not of the declared type."""


@dataclass(frozen=True)
class Facts:
    """Declarations plus facts that checks add; ``values`` is what conditions
    read. Frozen: adding facts returns a new value (:meth:`merged`)."""

    config: Config
    cards: tuple[Card, ...] = ()
    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "cards", tuple(self.cards))
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def cards_of(self, kind: str) -> list[Card]:
        return [c for c in self.cards if c.kind == kind]

    def merged(self, more: Mapping[str, Any], provider: Check | None = None) -> Facts:
        """These facts and ``more``: numbers add up, lists join, flags OR.
        With ``provider``, every fact in ``more`` must be one it declares, of
        the declared type; raises UndeclaredFact otherwise."""
        if provider is not None:
            check_provided(provider, more)
        values = dict(self.values)
        for key, value in more.items():
            values[key] = _combine(values.get(key), value)
        return Facts(config=self.config, cards=self.cards, values=values)


def _combine(old: Any, value: Any) -> Any:
    if old is None:
        return value
    if isinstance(old, bool) and isinstance(value, bool):
        return old or value
    if isinstance(old, (int, float)) and isinstance(value, (int, float)):
        return old + value
    if isinstance(old, list) and isinstance(value, list):
        return sorted(set(old) | set(value), key=str)
    return value


def check_provided(provider: Check, more: Mapping[str, Any]) -> None:
    """Raise UndeclaredFact unless every fact in ``more`` is one ``provider``
    declares in ``provides``, of the declared type."""
    declared = provider.provides
    undeclared = sorted(k for k in more if k not in declared)
    if undeclared:
        raise UndeclaredFact(f"check {provider.id!r} returned fact(s) it does not declare in "
                             f"`provides`: {', '.join(undeclared)}")
    wrong = sorted(k for k, v in more.items() if not declared[k].accepts(v))
    if wrong:
        raise UndeclaredFact(
            f"check {provider.id!r} returned fact(s) not of the declared type: "
            + ", ".join(f"{k} (declared {declared[k].type_name}, got {type(more[k]).__name__})"
                        for k in wrong))


@dataclass(frozen=True)
class Declaration:
    """A declared fact and who provides it (``core`` or check ids)."""

    name: str
    fact: Fact
    providers: tuple[str, ...]


class DeclaredFacts(Mapping[str, Declaration]):
    """The registry of declared facts: the core's and every installed check's."""

    def __init__(self, declarations: Iterable[Declaration]) -> None:
        self._by_name = {d.name: d for d in declarations}

    def __getitem__(self, name: str) -> Declaration:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def unknown(self, name: str) -> str | None:
        """Why the fact ``name`` (dotted: ``release.dataset``) cannot be named,
        or None when it is declared."""
        head = name.split(".", 1)[0]
        if head in self._by_name:
            return None
        import difflib  # a misspelt fact: rare

        close = difflib.get_close_matches(head, list(self._by_name), n=1)
        hint = (f"did you mean {close[0]!r}?" if close
                else "`aiart-release facts` lists the declared facts")
        return f"unknown fact {head!r} ({hint})"


def declared_facts(checks: Iterable[Check] = ()) -> DeclaredFacts:
    """The core's facts and those the ``checks`` declare. Several checks may
    provide one fact (their values merge); the first declaration (the core's,
    then by check id) gives its type and meaning."""
    found: dict[str, Declaration] = {
        name: Declaration(name, fact, (CORE,)) for name, fact in CORE_FACTS.items()
    }
    for check in sorted(checks, key=lambda c: c.id):
        for name, fact in check.provides.items():
            known = found.get(name)
            if known is None:
                found[name] = Declaration(name, fact, (check.id,))
            else:
                found[name] = Declaration(name, known.fact, (*known.providers, check.id))
    return DeclaredFacts(sorted(found.values(), key=lambda d: d.name))


def gather_facts(inventory: Inventory, config: Config) -> Facts:
    """Read the cards and the declarations into facts (those of CORE_FACTS)."""
    cards = [read_card(file) for file in release_cards(inventory)]
    values: dict[str, Any] = {}
    values["artifacts"] = inventory.artifacts_present()
    values["release"] = dict(config.release) if config.release else None
    values["commercial"] = config.commercial
    counts: dict[str, int] = {}
    for f in inventory.files:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    values["files"] = counts
    values["has_model_card"] = any(c.kind == "model-card" for c in cards)
    values["has_dataset_card"] = any(c.kind == "dataset-card" for c in cards)
    values["has_license_file"] = bool(inventory.of_kind("license"))

    for key in CARD_KEYS:
        collected: list[Any] = []
        for card in cards:
            value = card.metadata.get(key)
            for item in value if isinstance(value, list) else [value]:
                if item is not None and item not in collected and isinstance(item, (str, int)):
                    collected.append(item)
        values[key] = collected
    values["gated"] = any(
        any(str(k).startswith("extra_gated") for k in card.metadata) or card.metadata.get("gated")
        for card in cards
    )
    values["modality"] = _modality(inventory, values)
    values["card_text"] = _card_text(cards, values, inventory)
    return Facts(config=config, cards=cards, values=values)


def release_cards(inventory: Inventory) -> list[BundleFile]:
    """The model and dataset cards that speak for the release: not those of
    a vendored library or a project copied in (context ``generated``),
    whose words (an upstream model card's "nsfw") are about that project."""
    return [f for f in inventory.of_kind(*CARD_KINDS) if f.context != GENERATED]


MAX_CARD_TEXT = 1024 * 1024


def _card_text(cards: list[Card], values: Mapping[str, Any], inventory: Inventory) -> str:
    """The cards' and the top-level README's words, lower case, for the
    keyword conditions of misuse rules (``text: {any: [...]}``)."""
    parts = [card.text for card in cards]
    readme = next((f for f in inventory.files if f.directory == "" and
                   f.name.lower().startswith("readme") and f.kind == "text"), None)
    if readme is not None and readme.readable:
        try:
            parts.append(read_text(readme.abspath, MAX_CARD_TEXT)[0])
        except TextUnreadable:
            pass
    tags = [str(t) for t in values.get("tags", [])]
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
    loaded = load_yaml("\n" + front, path, CARD_LIMITS)
    if loaded.data is None:
        return {}
    if not isinstance(loaded.data, dict):
        raise DataFileError([f"{path}:2:1: the card metadata must be a mapping of keys"])
    return loaded.data


def pyproject_project(inventory: Inventory) -> dict[str, Any]:
    """The ``[project]`` table of the bundle's ``pyproject.toml`` (empty when
    there is none or it does not parse)."""
    import tomllib

    from .readers.tomlfile import load_toml

    pyproject = inventory.get("pyproject.toml")
    if pyproject is None or not pyproject.readable:
        return {}
    try:
        text = decode(read_regular_file(pyproject.abspath, CONFIG_LIMITS.max_bytes))
        project = load_toml(text, CONFIG_LIMITS).get("project", {})
    except (OSError, TextUnreadable, LimitExceeded, tomllib.TOMLDecodeError):
        return {}
    return project if isinstance(project, dict) else {}


def facts_rows(declared: DeclaredFacts) -> list[dict[str, str]]:
    """One row per declared fact: name, type, meaning, provider (``core`` or
    the check ids, comma-separated), for ``aiart-release facts``."""
    return [{"fact": d.name, "type": d.fact.type_name, "meaning": d.fact.meaning,
             "provider": ", ".join(d.providers)} for d in declared.values()]


def facts_markdown(declared: DeclaredFacts) -> str:
    """The declared facts as the Markdown table of ``docs/facts.md``."""
    lines = ["| fact | type | meaning | provider |", "|---|---|---|---|"]
    for row in facts_rows(declared):
        cells = [f"`{row['fact']}`", row["type"], row["meaning"].replace("|", "\\|"),
                 row["provider"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
