"""Reading a bundle file as text, the same way for every check.

UTF-8 (with or without a byte-order mark) and UTF-16/32 with a byte-order
mark are accepted; anything else raises :class:`TextUnreadable` with a reason
a user can act on, which checks turn into a ``bundle.unreadable`` finding.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ..findings import CHECKPOINT_OF_ARTIFACT, Finding, Location, Severity
from .limits import LimitExceeded, too_complex_finding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class TextUnreadable(Exception):
    """The file cannot be read as text; ``str()`` says why."""


def decode(data: bytes, final: bool = True) -> str:
    """Decode bytes as UTF-8 / BOM-marked Unicode, or raise TextUnreadable.
    With ``final=False`` a character cut at the end is dropped, not an error."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding = name
            break
    else:
        if b"\0" in data:
            offset = data.index(b"\0")
            raise TextUnreadable(f"NUL byte at offset {offset}: binary, not text")
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":
            line = data.count(b"\n", 0, exc.start) + 1  # where an editor shows it
            raise TextUnreadable(
                f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line}); "
                "re-save it as UTF-8"
            ) from None
        raise TextUnreadable(f"invalid {encoding} at byte {exc.start}") from None


def read_text(path: Path, max_bytes: int) -> tuple[str, bool]:
    """The text of a file, at most ``max_bytes`` of it, and whether it was
    cut short. Raises TextUnreadable."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise TextUnreadable(exc.strerror or str(exc)) from None
    truncated = len(data) > max_bytes
    return decode(data[:max_bytes], final=not truncated), truncated


def unreadable_finding(path: str, artifact: str, reason: str | Exception,
                       check: str) -> Finding:
    """The ``bundle.unreadable`` finding a check reports for a file it could
    not read. Given the exception itself, a file past a reader's limit
    (:class:`~.limits.LimitExceeded`, or an error whose ``limit`` holds one)
    becomes ``bundle.too-complex`` instead."""
    exceeded = reason if isinstance(reason, LimitExceeded) else getattr(reason, "limit", None)
    if isinstance(exceeded, LimitExceeded):
        return too_complex_finding(path, artifact, exceeded, check)
    return Finding(
        id="bundle.unreadable",
        severity=Severity.MEDIUM,
        message=f"File could not be read as text: {reason}",
        location=Location(path=path),
        remediation="Fix or re-export the file (UTF-8 text), or exclude it in aiart-release.yaml",
        check=check,
        checkpoint=CHECKPOINT_OF_ARTIFACT.get(artifact),
        artifact=artifact,
    )


class LineTooLong(Exception):
    """A line over the limit: not text a person wrote (a 1 GB single line)."""

    def __init__(self, number: int, limit: int):
        self.number = number
        self.limit = limit
        super().__init__(f"line {number} is longer than {limit // (1024 * 1024)} MiB")


def bounded_lines(handle, limit: int, error=LineTooLong):
    """``(number, raw bytes)`` for each line of a binary file, reading at most
    ``limit`` bytes of any line; past it raises ``error(LineTooLong)`` (the
    caller's own exception, built from the LineTooLong)."""
    number = 0
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            too_long = LineTooLong(number, limit)
            raise too_long if error is LineTooLong else error(too_long)
        yield number, raw
