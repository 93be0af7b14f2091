"""The training-resources check: what training cost, and what the release says.

Field guide, training-resources checkpoint: what are the environmental costs
of my training? Could I have fine-tuned a pre-trained model instead of
training from scratch? How long do I need to train?

Example: ``training: {hardware: RTX 4090, hours: 6, country: France}`` in
aiart-release.yaml and a card without ``co2_eq_emissions`` give the estimate
(info, 284 g CO2e, range 142–454 g) and ``training.emissions-undeclared``
(low): the card should say so; ``aiart-release training`` prints the block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiart_release.bundle import TEXT_KINDS
from aiart_release.checks import Check
from aiart_release.facts import Fact
from aiart_release.findings import Checkpoint, Finding, Location, Severity

from .tool_files import tool_files

# The analysis, its readers and tables are imported when a bundle states
# something about its training: registering the check, or scanning a bundle
# that states nothing (the pre-commit hook on one caption), imports none.
if TYPE_CHECKING:
    from .analysis import Analysis

HUB_CARD_REFERENCE = "https://huggingface.co/docs/hub/model-cards-co2"

_REMEDIATION = {
    "training.declaration-invalid": (
        "Correct the field (docs/training.md: the training section's fields and their "
        "ranges); until then no estimate is made"),
    "training.unknown-hardware": (
        "Name the hardware as its maker does (RTX 4090, A100 SXM4 80 GB, T4); "
        "`aiart-release training --list hardware` shows the table"),
    "training.unknown-region": (
        "Give a cloud provider and region from the table, or the country (or electricity "
        "zone) where the machines ran; `aiart-release training --list places` shows them"),
}


class Training(Check):
    id = "training"
    # Configs, logs and cards; a weights header read copies that file when opened.
    bundle_reads = TEXT_KINDS | {"other"}
    # Reads only the bundle, its facts and its settings (docs/plugins.md).
    bundle_cacheable = True
    checkpoint = Checkpoint.TRAINING
    description = ("Training resources: energy and CO2e estimated from the declared hardware, "
                   "hours and place; the card's co2_eq_emissions; fine-tune or from scratch")
    version = "1"
    findings = {
        "training.emissions-estimate": "What training emitted, estimated, with its range and "
                                       "equivalents (information)",
        "training.emissions-undeclared": "The model card does not state co2_eq_emissions",
        "training.emissions-mismatch": "The card's co2_eq_emissions is more than 3x away from "
                                       "the estimate",
        "training.from-scratch": "Trained from scratch, or no base model declared",
        "training.declaration-invalid": "A training field is of the wrong type or absurd",
        "training.unknown-hardware": "The declared hardware is not in the hardware table",
        "training.unknown-region": "The declared region or country is not in the tables",
    }
    provides = {
        "training_emissions_kg": Fact(float, "estimated CO2e of training in kg (the "
                                             "calculator's central figure), when estimable"),
        "training_energy_kwh": Fact(float, "estimated energy of training in kWh, when "
                                           "estimable"),
        "trained_from_scratch": Fact(bool, "true: declared trained from scratch; false: a base "
                                           "model is declared (absent when nobody says)"),
        "training_emissions_stated": Fact(bool, "the model card states co2_eq_emissions"),
    }

    def scan_bundle(self, ctx):
        if _states_nothing(ctx.inventory, ctx.facts):
            return
        from .analysis import analyse

        result = analyse(ctx.inventory, ctx.facts)
        ctx.provide(_facts(result))
        yield from findings(result)


def _states_nothing(inventory, facts) -> bool:
    """No training section, model, model card, base model or training
    tool's file: the analysis would find no fact and no finding."""
    return (getattr(facts.config, "training", None) is None
            and not facts.cards_of("model-card")
            and "model" not in (facts.values.get("artifacts") or [])
            and not facts.values.get("base_model")
            and not any(tool_files(inventory)))


def _facts(result: Analysis) -> dict:
    values: dict = {}
    if result.estimate is not None:
        values["training_emissions_kg"] = float(result.estimate.kg[0])
        values["training_energy_kwh"] = float(result.estimate.kwh[0])
    if result.from_scratch is not None:
        values["trained_from_scratch"] = result.from_scratch
    if result.has_model:
        card = result.declared.card
        values["training_emissions_stated"] = bool(card and card.grams is not None)
    return values


def findings(result: Analysis):
    """The check's findings for one analysis (also what the command shows)."""
    for problem in result.problems:
        unavailable = "; the estimate is unavailable" if problem.blocks_estimate else ""
        yield _finding(problem.id, Severity.LOW, problem.message + unavailable,
                       Location(path=problem.path, line=problem.line, field=problem.field),
                       _REMEDIATION[problem.id], context=problem.context)
    if not result.has_model:
        return
    yield from _estimate_findings(result)
    yield from _lineage_findings(result)


def _estimate_findings(result: Analysis):
    from .estimate import EPA_REFERENCE, LACOSTE_REFERENCE, STRUBELL_REFERENCE, amount, describe

    declared, found = result.declared, result.estimate
    card = declared.card
    where = _estimate_place(result)
    context = _context(result, where)
    if found is not None:
        note = " (count assumed 1)" if result.count_assumed else ""
        yield _finding("training.emissions-estimate", Severity.INFO, describe(found) + note,
                       where, "Put the figure in the model card: `aiart-release training` "
                       "prints a co2_eq_emissions block to paste", context=context,
                       references=(LACOSTE_REFERENCE, STRUBELL_REFERENCE, EPA_REFERENCE))
    if card is None:
        if found is not None:
            yield _finding(
                "training.emissions-undeclared", Severity.LOW,
                f"The model card does not state co2_eq_emissions; the estimate is about "
                f"{amount(found.kg[0])} CO2e", where,
                "Add the co2_eq_emissions block `aiart-release training` prints to the model "
                "card's metadata", context=context, references=(HUB_CARD_REFERENCE,))
        else:
            why = ("a declared value cannot be used" if result.blocked else
                   " and ".join(result.missing or ["the place"]) + " not stated")
            # Low, like a documentation gap: the card field is optional on
            # the Hub, and on real repositories (CLIP, stylegan2, a LoRA
            # trainer) no reviewer would hold a release back for it.
            yield _finding(
                "training.emissions-undeclared", Severity.LOW,
                "Nothing says what training cost: no co2_eq_emissions in a model card, and no "
                f"estimate can be made ({why})", where,
                "Declare `training:` in aiart-release.yaml (hardware, count, hours, country or "
                "cloud region) and paste what `aiart-release training` prints into the card",
                context=context, references=(HUB_CARD_REFERENCE, LACOSTE_REFERENCE))
    elif card.grams is not None and found is not None:
        yield from _mismatch(card.grams / 1000, found, Location(path=card.path, line=card.line,
                                                                field="co2_eq_emissions"))


def _mismatch(stated_kg, found, location):
    from .estimate import disagreement

    message = disagreement(stated_kg, found)
    if message is None:
        return
    yield _finding(
        "training.emissions-mismatch", Severity.MEDIUM, message, location,
        "Check the card's figure (co2_eq_emissions.emissions is in grams) and the training "
        "section; correct whichever is wrong", context="metadata",
        references=(HUB_CARD_REFERENCE,))


def _lineage_findings(result: Analysis):
    if result.from_scratch is False:
        return
    declared = result.declared
    stated = declared.training.get("from_scratch")
    card = declared.card
    if result.from_scratch:
        source, where = (
            (stated.source, Location(path=stated.path, field="training.from_scratch"))
            if stated is not None else
            (f"{card.path}: co2_eq_emissions.training_type",
             Location(path=card.path, line=card.line, field="co2_eq_emissions.training_type")))
        yield _finding(
            "training.from-scratch", Severity.INFO,
            f"Trained from scratch ({source}): the field guide asks whether "
            "fine-tuning a pre-trained model would have served, at a fraction of the energy",
            where,
            "Say in the card why training from scratch was needed, or fine-tune an existing "
            "model next time", context=_context(result, where))
    else:
        yield _finding(
            "training.from-scratch", Severity.INFO,
            "No base model is declared: if the model was fine-tuned, name what it started "
            "from; if it was trained from scratch, could a pre-trained model have served?",
            _estimate_place(result),
            "Declare `base_model` in the model card (or `training.base_model`), or "
            "`training.from_scratch: true` with the reason in the card",
            context=_context(result, _estimate_place(result)), confidence=0.5)


def _estimate_place(result: Analysis) -> Location:
    """Where the estimate and the undeclared finding point: the training
    section, else the card's statement, else the model card, else the file
    that gave the hours, else the bundle."""
    declared = result.declared
    if declared.config_path:
        return Location(path=declared.config_path, field="training")
    if declared.card:
        return Location(path=declared.card.path, line=declared.card.line)
    if result.model_card:
        return Location(path=result.model_card)
    hours = declared.get("hours")
    return Location(path=hours.path if hours else ".")


def _context(result: Analysis, where: Location) -> str | None:
    """``config`` for the training section, ``metadata`` for the card."""
    if where.path == result.declared.config_path:
        return "config"
    card = result.declared.card
    return "metadata" if card is not None and where.path == card.path else None


def _finding(finding_id, severity, message, location, remediation, *, context="config",
             confidence=1.0, references=()):
    return Finding(id=finding_id, severity=severity, message=message, location=location,
                   remediation=remediation, artifact="model", checkpoint=Checkpoint.TRAINING,
                   context=context, confidence=confidence, references=tuple(references))
