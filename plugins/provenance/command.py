"""``aiart-release credits``: write CREDITS.md into a bundle, on request.

Added to the command line by the provenance plugin's
``aiart_release_register_commands`` hook, as a third-party plugin adds its
commands. The work is done in credits.py, imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from aiart_release.cli import UsageProblem, debug_option, plugin_registry, write_or_refuse
from aiart_release.writes import lexically_inside, shown


@click.command()
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write (default: CREDITS.md in PATH).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@debug_option
def credits(path: Path, output: Path | None, force: bool) -> None:
    """Write CREDITS.md from the bundle's sources manifests: creators with
    their sources and licences, and how to ask for removal."""
    from aiart_release.bundle import BundleError, build_inventory, check_root
    from aiart_release.config import ConfigError, load_config

    from .credits import credits_text

    try:
        check_root(path)
    except BundleError as exc:
        raise UsageProblem(str(exc)) from None
    target = output or path / "CREDITS.md"
    # Inside the bundle, the file stays inside it: no folder on the way may
    # be a link out. A path elsewhere is the user's own choice.
    within = path if lexically_inside(target, path) else None
    write_or_refuse(target, None, force=force, within=within)  # refused before the work
    try:
        config = load_config(path)
        inventory = build_inventory(path, plugin_registry().classify, exclude=config.exclude,
                                    artifact_globs=config.artifacts)
    except (ConfigError, BundleError) as exc:
        raise UsageProblem(str(exc)) from None
    text, people, items = credits_text(path, inventory, config)
    write_or_refuse(target, text, force=force, within=within)
    if not items:
        click.echo(f"wrote {shown(target)}: no sources manifest with items was found "
                   "(add data/sources.csv: file, creator, source, license, consent)")
    else:
        # Counts only: the names are in the file the user asked for.
        click.echo(f"wrote {shown(target)}: {people} contributor(s), {items} item(s)")
