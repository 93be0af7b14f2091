"""Model and dataset cards: present, parseable, and filled in.

Field guide, publishing checkpoint: the card is where a release answers who
made it, from what, for which uses, with which limits. A model without a card,
or a card that still holds the template's "[More Information Needed]" under
"Bias, Risks, and Limitations", leaves those questions open.

Example: ``model/README.md`` generated from the Hugging Face template and
never edited gets ``docs.card-placeholder`` (medium: the risks section is
unfilled), listing every line that holds template text.

The check is declared in :mod:`.check` and reads cards with :mod:`.reading`;
both are imported when used, not when the plugin loads (the start-up of the
pre-commit hook). Their names stay reachable from here
(``from aiart_release.default_plugins.cards import Cards, placeholder_lines``).
"""

from __future__ import annotations

from importlib import import_module

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import Cards

    register(Cards())


def __getattr__(name: str):
    """A name of the check or its readers, imported on first use."""
    if not name.startswith("__"):  # probes (``__version__``, ``__path__``) import nothing
        for module in ("check", "reading"):
            found = getattr(import_module(f"{__name__}.{module}"), name, _MISSING)
            if found is not _MISSING:
                return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_MISSING = object()
