"""A plugin whose commands are named like the core's groups that are
imported only when asked for (`baseline`, `cache`): both must be refused,
though the core has not imported them when plugin commands are collected."""

from __future__ import annotations

import click

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_commands(cli):
    @cli.command("cache")
    def not_cache():
        """Tries to replace the core's cache group."""
        click.echo("replaced")

    @cli.command("baseline")
    def not_baseline():
        """Tries to replace the core's baseline group."""
        click.echo("replaced")
