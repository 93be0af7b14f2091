"""Where a bundle states its licences: licence files, card metadata,
``pyproject.toml``, ``SPDX-License-Identifier`` headers, and vendored
third-party folders with their own licence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from aiart_release.textio import TextUnreadable, read_text

from .catalog import resolve
from .identify import Identification, identify_text

MAX_LICENSE_BYTES = 1024 * 1024
_SPDX_HEADER = re.compile(rb"SPDX-License-Identifier:[ \t]*([^\n\r*]+?)[ \t]*(?:\*/|-->)?[ \t]*$",
                          re.MULTILINE)
_VENDOR_DIRS = {"vendor", "vendored", "third_party", "third-party", "thirdparty", "external",
                "extern", "deps", "_vendor", "submodules"}


@dataclass(frozen=True)
class Source:
    """A place that states a licence, and the folder it covers."""

    path: str
    kind: str  # file | card | pyproject | spdx-header
    license: str | None  # id or SPDX expression; None: not identified
    confidence: float
    method: str
    covers: str  # folder ("" = the whole bundle)
    artifact: str
    vendored: bool = False
    detail: str = ""


def covering_dir(path: str) -> str:
    """The folder a licence file covers: its own, or the parent of LICENSES/."""
    parts = PurePosixPath(path).parts[:-1]
    while parts and parts[-1].upper() in ("LICENSES", "LICENCES"):
        parts = parts[:-1]
    return "/".join(parts)


def is_vendored(path: str) -> bool:
    return any(part.lower() in _VENDOR_DIRS for part in PurePosixPath(path).parts[:-1])


def covers(folder: str, path: str) -> bool:
    directory = PurePosixPath(path).parent.as_posix()
    directory = "" if directory == "." else directory
    return folder == "" or directory == folder or directory.startswith(folder + "/")


def license_files(inventory) -> tuple[list[Source], list[tuple[str, str]]]:
    """Identified licence files, and (path, reason) for those not read."""
    sources, problems = [], []
    for f in inventory.of_kind("license"):
        if not f.readable:
            continue
        if f.size == 0:
            problems.append((f.path, "empty"))
            continue
        try:
            text, _ = read_text(f.abspath, MAX_LICENSE_BYTES)
        except TextUnreadable as exc:
            problems.append((f.path, str(exc)))
            continue
        found: Identification | None = identify_text(text)
        sources.append(Source(
            path=f.path, kind="file", license=found.license if found else None,
            confidence=found.confidence if found else 0.0,
            method=found.method if found else "none", covers=covering_dir(f.path),
            artifact=f.artifact, vendored=is_vendored(f.path),
            detail=_first_line(text),
        ))
    return sources, problems


def card_sources(facts) -> list[Source]:
    out = []
    for card in facts.cards:
        value = card.metadata.get("license")
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str) or not item.strip():
                continue
            resolved = resolve(item)
            out.append(Source(
                path=card.path, kind="card", license=resolved,
                confidence=1.0 if resolved else 0.0, method="card", covers="",
                artifact=card.artifact, detail=item.strip(),
            ))
    return out


def pyproject_source(inventory) -> Source | None:
    from aiart_release.facts import pyproject_project

    value = pyproject_project(inventory).get("license")
    if isinstance(value, dict):
        value = value.get("text") or value.get("file")
    if not isinstance(value, str) or not value.strip():
        return None
    resolved = resolve(value) or resolve(value.split("\n", 1)[0])
    return Source(path="pyproject.toml", kind="pyproject", license=resolved,
                  confidence=1.0 if resolved else 0.0, method="pyproject", covers="",
                  artifact="code", detail=value.strip()[:80])


def spdx_headers(inventory, head_bytes: int = 4096) -> list[Source]:
    out = []
    for f in inventory.of_kind("code"):
        if not f.readable:
            continue
        try:
            with open(f.abspath, "rb") as handle:
                match = _SPDX_HEADER.search(handle.read(head_bytes))
        except OSError:
            continue
        if not match:
            continue
        value = match.group(1).decode("utf-8", "replace").strip()
        resolved = resolve(value)
        out.append(Source(path=f.path, kind="spdx-header", license=resolved,
                          confidence=1.0 if resolved else 0.0, method="spdx-identifier",
                          covers=f.path, artifact=f.artifact, vendored=is_vendored(f.path),
                          detail=value))
    return out


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""
