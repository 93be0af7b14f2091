"""A plugin whose register_commands hook raises: --help must still work."""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_commands(cli):
    raise RuntimeError("no commands today")
