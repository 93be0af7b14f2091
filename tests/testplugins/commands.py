"""A plugin that adds commands: `greet`, a group `studio` with `sync`, and
one named like the core's `assess`, which must be refused."""

from __future__ import annotations

import click

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_commands(cli):
    @cli.command()
    @click.argument("name")
    def greet(name):
        """Say hello to NAME."""
        click.echo(f"hello {name}")

    @cli.group()
    def studio():
        """Studio tools."""

    @studio.command()
    def sync():
        """Sync the studio."""
        click.echo("synced")

    @cli.command("assess")
    def not_assess():
        """Tries to replace the core's assess."""
        click.echo("replaced")
