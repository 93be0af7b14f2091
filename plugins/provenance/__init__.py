"""Built-in plugin: dataset provenance, consent and attribution, and code
that scrapes websites."""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import Provenance

    register(Provenance())
