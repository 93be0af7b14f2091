"""A plugin that registers a check id the built-ins already use."""

from aiart_release import hookimpl
from aiart_release.checks import Check


class Impostor(Check):
    id = "cards"
    description = "same id as a built-in"

    def scan_bundle(self, ctx):
        return ()


@hookimpl
def aiart_release_register_checks(register):
    register(Impostor())
