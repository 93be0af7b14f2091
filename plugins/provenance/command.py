"""``aiart-release credits``: write CREDITS.md into a bundle, on request.

Added to the command line by the provenance plugin's
``aiart_release_register_commands`` hook, as a third-party plugin adds its
commands. The work is done in credits.py, imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from aiart_release.cli import UsageProblem, debug_option, plugin_registry


@click.command()
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write (default: CREDITS.md in PATH).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@debug_option
def credits(path: Path, output: Path | None, force: bool) -> None:
    """Write CREDITS.md from the bundle's sources manifests: creators with
    their sources and licences, and how to ask for removal."""
    from aiart_release.bundle import BundleError, build_inventory
    from aiart_release.config import ConfigError, load_config

    from .credits import write_credits

    if not path.is_dir():
        raise UsageProblem(f"'{path}' is not a folder")
    try:
        config = load_config(path)
        inventory = build_inventory(path, plugin_registry().classify, exclude=config.exclude,
                                    artifact_globs=config.artifacts)
    except (ConfigError, BundleError) as exc:
        raise UsageProblem(str(exc)) from None
    target = output or path / "CREDITS.md"
    try:
        people, items = write_credits(path, inventory, config, target, force)
    except FileExistsError:
        raise UsageProblem(f"{target} exists (use --force to overwrite)") from None
    if not items:
        click.echo(f"wrote {target}: no sources manifest with items was found "
                   "(add data/sources.csv: file, creator, source, license, consent)")
    else:
        # Counts only: the names are in the file the user asked for.
        click.echo(f"wrote {target}: {people} contributor(s), {items} item(s)")
