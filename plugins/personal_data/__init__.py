"""Built-in plugin: personal data and sensitive traits, with Presidio.

Registers the check and, through ``aiart_release_register_recognizers``, the
recognizers Presidio lacks (sensitive traits, ages, addresses, GPS, handles)
exactly as a third-party plugin would register its own; and, through
``aiart_release_register_maskers``, the detectors of names and profile links
that the core's masking gate cannot have (``maskers.py``).
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


@hookimpl
def aiart_release_register_maskers(register):
    from .maskers import name_spans, profile_spans

    register(name_spans)
    register(profile_spans)
