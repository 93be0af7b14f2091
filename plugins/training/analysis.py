"""From what the release states to an estimate: which hardware, how many,
how long, where. Shared by the check and the ``training`` command, so both
say the same thing.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from aiart_release.records import dataclass

from . import tables
from .declared import (
    MAX_COUNT,
    Declared,
    Problem,
    Stated,
    config_place,
    read_card_statement,
    read_tool_hints,
    read_training_section,
    split_hardware_used,
)
from .estimate import Estimate, estimate


@dataclass
class Analysis:
    declared: Declared
    estimate: Estimate | None = None
    # What an estimate lacks when none could be made: "hardware", "hours".
    missing: list[str] = field(default_factory=list)
    base_model: Stated | None = None
    from_scratch: bool | None = None
    has_model: bool = False
    # Where the place came from, as the card's geographical_location should say it.
    location: str = ""
    count_assumed: bool = False
    # The first model card, where a missing statement belongs.
    model_card: str | None = None

    @property
    def problems(self) -> list[Problem]:
        return self.declared.problems

    @property
    def blocked(self) -> bool:
        return any(p.blocks_estimate for p in self.problems)

    @property
    def training_type(self) -> str:
        if self.from_scratch is True:
            return "pre-training"
        if self.from_scratch is False:
            return "fine-tuning"
        return "pre-training or fine-tuning (say which)"


def analyse(inventory: Any, facts: Any) -> Analysis:
    """Read every statement about the training and estimate what it cost."""
    declared = Declared()
    section = getattr(facts.config, "training", None)
    if section is not None:
        path, positions = config_place(facts.config, inventory.root)
        read_training_section(section, path, positions, declared)
    read_card_statement(facts.cards_of("model-card"), declared)
    read_tool_hints(inventory, declared)
    result = Analysis(declared)
    model_cards = facts.cards_of("model-card")
    result.model_card = model_cards[0].path if model_cards else None
    result.has_model = bool(section is not None or model_cards
                            or "model" in (facts.values.get("artifacts") or []))
    _lineage(result, facts)
    rows, count = _hardware(result)
    hours = declared.get("hours")
    place = _place(result)
    if rows is None:
        result.missing.append("hardware")
    if hours is None:
        result.missing.append("hours")
    if rows and hours is not None and place is not None and not result.blocked:
        pue = declared.training.get("pue")
        result.estimate = estimate(rows, count, float(hours.value), place,
                                   pue.value if pue else None)
    return result


def _lineage(result: Analysis, facts: Any) -> None:
    """Base model and from-scratch, from the declaration, the card and the tools."""
    declared = result.declared
    base = declared.training.get("base_model")
    card_bases = [b for b in facts.values.get("base_model") or [] if isinstance(b, str)]
    if base is None and card_bases:
        card = facts.cards_of("model-card")
        base = Stated(card_bases[0], "the model card's base_model",
                      card[0].path if card else "")
    result.base_model = base or declared.hints.get("base_model")
    stated = declared.training.get("from_scratch")
    if stated is not None:
        result.from_scratch = bool(stated.value)
    elif result.base_model is not None:
        result.from_scratch = False
    elif declared.card and declared.card.training_type:
        kind = declared.card.training_type.lower()
        if "fine" in kind:
            result.from_scratch = False
        elif "pre-train" in kind or "pretrain" in kind or "scratch" in kind:
            result.from_scratch = True


def _hardware(result: Analysis) -> tuple[list[tables.Hardware] | None, int]:
    """The hardware rows and their count; None when nothing (usable) is stated."""
    declared = result.declared
    training = declared.training
    count = training.get("count")
    if "instance" in training:
        instance = training["instance"]
        provider = training.get("provider")
        rows, gpus = tables.instance(provider.value if provider else None, instance.value)
        if not rows:
            _unknown_hardware(declared, "training.instance", instance,
                              "is not an instance type in the table (its GPUs are unknown)")
            return None, 1
        # ``count`` counts instances here; each carries ``gpus`` GPUs.
        instances = count.value if count else 1
        if gpus is None:
            result.count_assumed = True
        total = instances * (gpus or 1)
        if total > MAX_COUNT:
            declared.config_problem(
                "training.declaration-invalid", "count",
                f"`training.count` is {instances:,} instances of {gpus} GPUs: {total:,} GPUs, "
                f"over {MAX_COUNT:,}")
            return None, 1
        return rows, total
    stated = declared.get("hardware")
    card_count = None
    if stated is None and declared.card and declared.card.hardware_used:
        card_count, name = split_hardware_used(declared.card.hardware_used)
        stated = Stated(name, f"{declared.card.path}: co2_eq_emissions.hardware_used",
                        declared.card.path)
    if stated is None:
        return None, 1
    rows = tables.hardware(str(stated.value))
    if not rows:
        field_name = ("training.hardware" if "hardware" in training else
                      "co2_eq_emissions.hardware_used" if stated.path == (
                          declared.card.path if declared.card else None) else "hardware")
        _unknown_hardware(declared, field_name, stated,
                          "is not in the hardware table (docs/training.md lists it)")
        return None, 1
    number = count or declared.hints.get("count")
    if number is not None:
        return rows, int(number.value)
    if card_count is not None and 1 <= card_count <= MAX_COUNT:
        return rows, card_count
    result.count_assumed = True
    return rows, 1


def _unknown_hardware(declared: Declared, field_name: str, stated: Stated, why: str) -> None:
    shown = str(stated.value)[:60]
    context = "metadata" if field_name.startswith("co2") or "(" in stated.source else "config"
    declared.problems.append(Problem(
        "training.unknown-hardware", field_name, stated.path,
        f"`{field_name}` ({shown!r}, in {stated.path}) {why}", _line(declared, field_name, stated),
        context=context))


def _line(declared: Declared, field_name: str, stated: Stated) -> int | None:
    if field_name.startswith("training."):
        return declared.lines.get(field_name.removeprefix("training."))
    if declared.card and stated.path == declared.card.path:
        return declared.card.line
    return None


def _place(result: Analysis) -> tables.Intensity | None:
    """Where the training ran, as a carbon intensity; None when the stated
    place is unknown (a problem is recorded)."""
    declared = result.declared
    training = declared.training
    provider, region, country = (training.get(k) for k in ("provider", "region", "country"))
    if provider is not None and provider.value.strip().lower() not in tables.providers():
        declared.config_problem(
            "training.unknown-region", "provider",
            f"`training.provider` ({provider.value[:40]!r}) is not a cloud provider in the "
            f"table ({', '.join(sorted(tables.providers()))}); for your own machines give "
            "`training.country` instead")
        return None
    if region is not None:
        if provider is None:
            declared.config_problem(
                "training.declaration-invalid", "region",
                "`training.region` needs `training.provider` (aws, gcp, azure, …): region "
                "names repeat across providers")
            return None
        return _known(result, tables.region(provider.value, region.value), region,
                      "training.region", f"a {provider.value[:20]} region")
    if country is not None:
        return _known(result, tables.country(country.value), country, "training.country",
                      "a country or electricity zone")
    if provider is not None:
        declared.config_problem("training.declaration-invalid", "provider",
                                "`training.provider` without `training.region`: name the "
                                "region too")
        return None
    card = declared.card
    if card and card.geographical_location:
        found = tables.country(card.geographical_location)
        if found is not None:
            result.location = card.geographical_location
            return found
        declared.problems.append(Problem(
            "training.unknown-region", "co2_eq_emissions.geographical_location", card.path,
            f"`co2_eq_emissions.geographical_location` "
            f"({card.geographical_location[:40]!r}) names no country in the table; the "
            "estimate spans every country's grid", card.line, context="metadata",
            blocks_estimate=False))
    result.location = "not stated"
    return tables.anywhere()


def _known(result: Analysis, found: tables.Intensity | None, stated: Stated, field_name: str,
           what: str) -> tables.Intensity | None:
    """``found``, the place it names kept for the card; or, when the tables
    do not know the place, None and an unknown-region problem."""
    if found is None:
        result.declared.config_problem(
            "training.unknown-region", field_name.removeprefix("training."),
            f"`{field_name}` ({str(stated.value)[:40]!r}) is not {what} in the table "
            "(docs/training.md lists them)")
        return None
    result.location = found.place
    return found
