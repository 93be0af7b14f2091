"""Built-in plugin: the misuse rule pack (``rules/misuse/builtin.yaml``),
registered through the same hook a third-party threat-rule plugin uses."""

from __future__ import annotations

from importlib import resources

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_rules(register):
    register(resources.files("aiart_release.rules_data").joinpath("misuse", "builtin.yaml"))
