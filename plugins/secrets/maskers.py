"""A masker for the gate of the core: every span of a text that one of the
enabled detect-secrets pattern plugins matches is masked as a secret.

Only the pattern plugins: the keyword and URL-password plugins find a
value by the name before it, which the core's own ``password = …`` rule
already masks. A text is first tested for the words their matches must
hold (``prefilter.py``), so a text with no secret in it (most of them)
costs a few substring searches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from .detectors import name_length, secret_span
from .prefilter import Prefilter, build


def secret_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, "secret")`` for each secret-shaped span of ``text``."""
    could_match, patterns = _patterns()
    if not could_match.may_match(text):
        return
    for pattern in patterns:
        for match in pattern.finditer(text):
            start, end = secret_span(match)
            start += name_length(text[start:end])  # "AccountKey=": the name stays
            if end > start:
                yield start, end, "secret"


@lru_cache(maxsize=1)
def _patterns() -> tuple[Prefilter, tuple[re.Pattern[str], ...]]:
    from detect_secrets.plugins.base import RegexBasedDetector

    from .detectors import detectors

    patterns = tuple(regex for plugin, _, _ in detectors().plugins
                     if isinstance(plugin, RegexBasedDetector)
                     and type(plugin).__name__ != "BasicAuthDetector"
                     for regex in plugin.denylist)
    return build(patterns), patterns
