"""``aiart-release training [PATH]``: the training estimate, and the
``co2_eq_emissions`` block to paste into the model card.

Reads what the check reads (the ``training:`` section, the card, the
training tools' files) and prints the same estimate; writes nothing. Every
text from the bundle passes the masking gate before it is printed.
"""

from __future__ import annotations

from pathlib import Path

import click

from aiart_release.cli import UsageProblem, debug_option, plugin_registry

LISTS = ("hardware", "places")


@click.command()
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--list", "listing", type=click.Choice(LISTS),
              help="Print the hardware or the places (regions, countries, zones) the "
                   "estimate knows, and stop.")
@debug_option
def training(path: Path, listing: str | None) -> None:
    """Estimate what training the bundle's model cost (energy, CO2e, with a
    range), from the `training:` section of aiart-release.yaml, the model
    card and the training tools' files; print a co2_eq_emissions block for
    the model card."""
    if listing:
        click.echo(_listing(listing), nl=False)
        return
    from aiart_release import masking
    from aiart_release.pipeline import collect_maskers

    registry = plugin_registry()
    result = _analyse(path, registry)
    with masking.using(collect_maskers(registry)):
        text = _report(result)
        click.echo(masking.redact(text), nl=False)
    if result.estimate is None:
        raise UsageProblem(masking.redact(_why_none(result)))


def _analyse(path: Path, registry):
    from aiart_release.bundle import BundleError, build_inventory, check_root
    from aiart_release.config import ConfigError, load_config
    from aiart_release.facts import gather_facts

    from .analysis import analyse

    try:
        check_root(path)
        config = load_config(path)
        inventory = build_inventory(path, registry.classify, exclude=config.exclude,
                                    artifact_globs=config.artifacts)
    except (ConfigError, BundleError) as exc:
        raise UsageProblem(str(exc)) from None
    return analyse(inventory, gather_facts(inventory, config))


def _report(result) -> str:
    from .estimate import amount, card_block, describe, disagreement

    lines = []
    for problem in result.problems:
        where = f"{problem.path}:{problem.line}" if problem.line else problem.path
        lines.append(f"problem: {where}: {problem.message}")
    card = result.declared.card
    stated = card.grams / 1000 if card is not None and card.grams is not None else None
    found = result.estimate
    differs = disagreement(stated, found) if stated is not None and found else None
    if stated is not None and not differs:
        lines.append(f"the card states: {amount(stated)} CO2e ({card.path})")
    if found is None:
        return "".join(line + "\n" for line in lines)
    lines.append(describe(found) + ".")
    if differs:
        lines.append(f"{differs} ({card.path}): correct the card (emissions are in grams).")
    sources = [s.source for s in _used(result)]
    if sources:
        lines.append("from: " + "; ".join(sources))
    if result.count_assumed:
        lines.append("count: not stated, 1 assumed")
    lines += ["", "Paste into the model card's metadata (between the --- lines):", ""]
    location = result.location or "not stated"
    return "".join(line + "\n" for line in lines) + card_block(found, result.training_type,
                                                               location)


def _used(result):
    declared = result.declared
    names = ("instance", "hardware", "count", "hours", "provider", "region", "country", "pue")
    return [s for s in (declared.get(n) for n in names) if s is not None]


def _why_none(result) -> str:
    blocking = [p for p in result.problems if p.blocks_estimate]
    if blocking:
        first = blocking[0]
        more = f" (and {len(blocking) - 1} more above)" if len(blocking) > 1 else ""
        return f"no estimate: {first.path}: {first.message}{more}"
    lacking = " and ".join(result.missing or ["the place"])
    return (f"no estimate: {lacking} not stated; declare `training:` in aiart-release.yaml "
            "(hardware, count, hours, country or provider and region; docs/training.md)")


def _listing(what: str) -> str:
    from . import tables

    data = tables.data()
    if what == "hardware":
        rows = [f"{r['name']}\t{r['type']}\t{r['tdp_watts']:g} W" for r in data["gpus"]
                if r["tdp_watts"] is not None]
    else:
        rows = [f"{r['provider']}\t{r['region'] or r['region_name']}\t{r['country']}\t"
                f"{r['gco2_per_kwh']:g} gCO2e/kWh" for r in data["regions"]]
        rows += [f"country\t{name}\t{v['median']:g} gCO2e/kWh ({v['low']:g}–{v['high']:g})"
                 for name, v in data["countries"].items()]
        rows += [f"zone\t{z['zone']}\t{z['name']}\t{z['gco2_per_kwh']:g} gCO2e/kWh "
                 f"({z['year']})" for z in data["zones"]]
    return "".join(row + "\n" for row in rows)
