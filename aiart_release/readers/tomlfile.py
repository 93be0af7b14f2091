"""TOML within limits. tomllib has none: nesting 1,000 levels deep ends in
a ``RecursionError`` (one character per level), which is caught here; the
parsed tree is then walked for depth and size (:func:`.limits.check_tree`).
"""

from __future__ import annotations

import tomllib
from typing import Any

from .limits import CONFIG_LIMITS, LimitExceeded, Limits, check_tree


def load_toml(text: str, limits: Limits = CONFIG_LIMITS) -> dict[str, Any]:
    """Parse TOML text; raises LimitExceeded or tomllib.TOMLDecodeError."""
    if len(text) > limits.max_bytes:
        raise LimitExceeded("max_bytes", limits.max_bytes)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise LimitExceeded("max_depth", limits.max_depth) from None
    check_tree(data, limits)
    return data
