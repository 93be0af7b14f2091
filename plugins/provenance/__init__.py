"""Built-in plugin: dataset provenance, consent and attribution, and code
that scrapes websites; and the ``credits`` command, which writes CREDITS.md
from the same sources manifests."""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import Provenance

    register(Provenance())


@hookimpl
def aiart_release_register_commands(cli):
    from .command import credits

    cli.add_command(credits)


@hookimpl
def aiart_release_credits(root, inventory, config):
    """The text of CREDITS.md, for the release card."""
    from .credits import credits_text

    return credits_text(root, inventory, config)[0]
