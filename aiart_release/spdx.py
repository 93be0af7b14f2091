"""The ``SPDX-License-Identifier`` line at the top of a source file.

One reader for the two checks that ask about it: licence presence (is this
file covered?) and licence identification (by which licence?). It reads the
head the inventory kept (:attr:`aiart_release.bundle.BundleFile.head`), so a
file is not opened again for its header.
"""

from __future__ import annotations

import re

from .lazy_pattern import LazyPattern

# The value ends at the line end or at a comment's close ("*/", "-->").
_SPDX_HEADER = LazyPattern(
    rb"SPDX-License-Identifier:[ \t]*([^\n\r*]+?)[ \t]*(?:\*/|-->)?[ \t]*$", re.MULTILINE
)
# The header is a first-lines convention; what lies further down is code.
SPDX_HEAD_BYTES = 4096
# What an SPDX expression can start with: an id, "(" or a LicenseRef-.
_EXPRESSION_START = LazyPattern(r"[A-Za-z0-9.+()-]")


def spdx_identifier(head: bytes) -> str | None:
    """The licence expression the first ``SPDX-License-Identifier`` line in
    ``head`` states, stripped (it may be empty or unknown), or None without
    such a line."""
    match = _SPDX_HEADER.search(head[:SPDX_HEAD_BYTES])
    return match.group(1).decode("utf-8", "replace").strip() if match else None


def has_spdx_identifier(head: bytes) -> bool:
    """Whether ``head`` has an ``SPDX-License-Identifier`` line that states
    something that can be a licence expression."""
    value = spdx_identifier(head)
    return bool(value) and _EXPRESSION_START.match(value) is not None
