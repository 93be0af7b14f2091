"""Built-in plugin: personal data and sensitive traits, with Presidio.

Registers the check and, through ``aiart_release_register_recognizers``, the
recognizers Presidio lacks (sensitive traits, ages, addresses, GPS, handles)
exactly as a third-party plugin would register its own.
"""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import PersonalData

    register(PersonalData())


@hookimpl
def aiart_release_register_recognizers(register):
    from .recognizers import name_recognizers, pattern_recognizers, sensitive_recognizers

    register(sensitive_recognizers)
    register(pattern_recognizers)
    register(name_recognizers)
