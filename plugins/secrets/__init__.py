"""Built-in plugin: secrets (``secret.*``) in code, notebooks, configuration,
``.env`` files and cards, found with detect-secrets' plugins and filters
(``detectors.py``) and reported without their values (``check.py``).

It also gives the masking gate detect-secrets' patterns (``maskers.py``):
the core masks the common token shapes in every text it shows; this adds
the rest (an Azure storage key, a Slack webhook, a Twilio key), so that a
secret quoted by any other check, a path or an error message is masked too.
"""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import SecretsCheck

    register(SecretsCheck())


@hookimpl
def aiart_release_register_maskers(register):
    from .maskers import secret_spans

    register(secret_spans)
