"""Byte sizes: the inventory's default limits, and sizes written for people.

One definition of each, so that the limit the inventory applies, the limit
the configuration defaults to, and the way both are shown cannot drift apart.
"""

from __future__ import annotations

# Files larger than this are listed but not read (``limits.max_file_size``).
DEFAULT_MAX_FILE_SIZE = 4 * 1024**3
# How many first bytes classifiers, binary sniffing and header readers see
# (``limits.sniff_bytes``).
DEFAULT_SNIFF_BYTES = 8192

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_size(size: int) -> str:
    """``size`` bytes in binary units: ``"512 B"``, ``"1.5 KiB"``, ``"4.0 GiB"``."""
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # not reached: the last unit always answers
