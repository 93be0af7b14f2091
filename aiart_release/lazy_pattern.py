"""A regular expression compiled the first time it is used.

A module's patterns are compiled when the module is imported, and a
pre-commit hook run on one caption imports most modules but uses few of
their patterns: compiling them is a good part of its start-up. A
``LazyPattern`` stands where ``re.compile(...)`` stood and compiles on its
first ``search``, ``match``, ``sub``... (``re`` keeps the compiled pattern
in its own cache as well).
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """``re.compile(pattern, flags)``, deferred to the first use.

    The compiled pattern's methods are kept on the instance once asked for,
    so a pattern used in a loop over a million table cells costs what the
    compiled one does: an attribute lookup and the call."""

    def __init__(self, pattern: str | bytes, flags: int = 0):
        self._pattern, self._flags = pattern, flags
        self._compiled: re.Pattern | None = None

    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        # Only names the instance lacks come here: search, sub, pattern...
        # Special names are not the pattern's to answer (copy and pickle ask
        # for __deepcopy__ and __getstate__ this way).
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self.compiled(), name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"LazyPattern({self._pattern!r}, {self._flags!r})"
