"""Where a bundle states its licences: licence files (each licence in them,
with its scope), card metadata, the ``general.license`` of GGUF model files,
a README's licence section, ``pyproject.toml``, ``SPDX-License-Identifier``
headers, and vendored third-party folders with their own licence."""

from __future__ import annotations

import re
from functools import cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from aiart_release.license_catalog import resolve
from aiart_release.origin import is_vendored
from aiart_release.readers.text import TextUnreadable, read_text
from aiart_release.records import dataclass
from aiart_release.spdx import SPDX_HEAD_BYTES, spdx_identifier

# The licence-text readers (the SPDX index, sections, changed clauses) are
# imported when a licence file is read: a bundle or a staged change without
# one never loads them.
if TYPE_CHECKING:
    from .modified import Changes
    from .sections import Part

MAX_LICENSE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Source:
    """A place that states a licence, and the folder it covers."""

    path: str
    kind: str  # file | card | gguf | readme | pyproject | spdx-header | header
    license: str | None  # id or SPDX expression; None: not identified
    confidence: float
    method: str
    covers: str  # folder ("" = the whole bundle)
    artifact: str
    vendored: bool = False
    detail: str = ""
    line: int | None = None  # where in the file the licence is stated
    # main: the licence of `covers`; part: of the paths named (or, without
    # paths, of a part named by the words in `scope`); items: the licences of
    # individual items a notice lists, not of the collection.
    role: str = "main"
    scope: str = ""
    paths: tuple[str, ...] = ()
    changes: Changes | None = None  # a standard text with clauses changed
    non_commercial: str | None = None  # a custom text's words forbidding commercial use
    # The artifacts the statement says the licence covers ("code",
    # "dataset,model"; "" when it names none), and the licence file it links
    # to (sections.Part).
    subject: str = ""
    linked: str = ""

    def covers_artifact(self, artifact: str) -> bool:
        """Whether this statement may cover ``artifact``: it names no
        artifact, or names this one."""
        return not self.subject or artifact in self.subject.split(",")

    def applies_to(self, path: str) -> bool:
        """Whether this licence is the one in force for a bundle file."""
        if self.role == "main":
            return covers(self.covers, path)
        if self.role == "part":
            return any(path == p or path.startswith(p + "/") for p in self.paths)
        return False

    @property
    def where(self) -> str:
        """The part this licence covers, in words, for messages."""
        if self.kind in ("header", "spdx-header", "gguf"):
            return self.path
        if self.role == "items":
            quote = self.scope if len(self.scope) <= 80 else self.scope[:79] + "…"
            return f"items named in {self.path} (“{quote}”)" if self.scope \
                else f"items named in {self.path}"
        if self.paths:
            return ", ".join(p + "/" if "." not in p.rsplit("/", 1)[-1] else p
                             for p in self.paths[:3])
        if self.role == "part":
            quote = self.scope if len(self.scope) <= 80 else self.scope[:79] + "…"
            return f"the part named “{quote}”" if self.scope else "a part of the bundle"
        if self.subject:
            what = "the " + " and the ".join(self.subject.split(","))
            return f"{what} in {self.covers}/" if self.covers else what
        base = f"{self.covers}/" if self.covers else "the bundle"
        return f"{base} (“{self.scope}”)" if self.scope else base


def covering_dir(path: str) -> str:
    """The folder a licence file covers: its own, or the parent of LICENSES/."""
    parts = PurePosixPath(path).parts[:-1]
    while parts and parts[-1].upper() in ("LICENSES", "LICENCES"):
        parts = parts[:-1]
    return "/".join(parts)


def covers(folder: str, path: str) -> bool:
    directory = PurePosixPath(path).parent.as_posix()
    directory = "" if directory == "." else directory
    return folder == "" or directory == folder or directory.startswith(folder + "/")


def in_force(sources: list[Source], path: str) -> list[Source]:
    """The licences in force for a bundle file: the parts and files that name
    it, and the main licence of the nearest folder that has one (a LICENSE in
    annotator/pose/ covers that folder; the root one covers the rest)."""
    named = [s for s in sources if s.role == "part" and s.applies_to(path)]
    main = [s for s in sources if s.role == "main" and s.kind not in DECLARED_IN_METADATA
            and s.applies_to(path)]
    deepest = max((len(s.covers) for s in main), default=0)
    return named + [s for s in main if len(s.covers) == deepest]


def license_files(inventory) -> tuple[list[Source], list[tuple[str, str]]]:
    """Every licence in the licence files (several per file when it has
    sections), and (path, reason) for those not read."""
    sources, problems = [], []
    known = known_paths(inventory)
    names = {f.path for f in inventory.of_kind("license")}
    for f in inventory.of_kind("license") + _notices(inventory):
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
        if _binary(text):
            problems.append((f.path, "binary content, not text"))
            continue
        suffix_part = _suffix_part(f.path, names)
        from .sections import parts

        for part in parts(text, known):
            sources.append(_file_source(f, part, suffix_part, text))
    return sources, problems


def _file_source(f, part: Part, suffix_part: str | None, text: str) -> Source:
    from .identify import non_commercial_terms

    role, scope = part.role, part.scope
    if role == "main" and suffix_part:
        # LICENSE-NVIDIA beside LICENSE: the licence of a part, not of the folder.
        role, scope = "part", suffix_part
    license_id = part.license
    if part.changes and license_id:
        license_id = f"LicenseRef-Modified-{license_id}"
    return Source(
        path=f.path, kind="file", license=license_id, confidence=part.confidence,
        method=part.method, covers=covering_dir(f.path), artifact=f.artifact,
        vendored=is_vendored(f.path), detail=_first_line(text), line=part.line, role=role,
        scope=scope, paths=part.folders, changes=part.changes,
        subject=part.subject, linked=part.linked,
        non_commercial=part.non_commercial or (
            non_commercial_terms(" ".join(part.changes.added)) if part.changes else None),
    )


@cache
def _notice_name() -> re.Pattern[str]:
    return re.compile(r"(?i)licen[cs]es?\b|licen[cs]es?_|_licen[cs]es?")


def _notices(inventory) -> list:
    """Text files named for licences that the inventory did not take for a
    licence file ("references_and_licenses.txt", "THIRD_PARTY_LICENSES.md"):
    read the same way, they give item and third-party licences."""
    return [f for f in inventory.of_kind("text", "other")
            if _notice_name().search(f.name) and not f.name.lower().startswith("readme")
            and f.size <= MAX_LICENSE_BYTES]


def _suffix_part(path: str, names: set[str]) -> str | None:
    """The part a suffixed licence file names ("LICENSE-NVIDIA" ->
    "NVIDIA") when a plain LICENSE sits beside it."""
    folder, _, name = path.rpartition("/")
    match = re.match(r"(?i)^(?:licen[cs]e|copying)[-_.]([^.]+)(?:\.(?:txt|md|rst))?$", name)
    if not match or match.group(1).lower() in ("txt", "md", "rst", "mit", "apache", "lesser"):
        return None
    siblings = {n.rpartition("/")[2].lower() for n in names if n.rpartition("/")[0] == folder}
    plain = {"license", "licence", "license.md", "license.txt", "licence.md", "licence.txt",
             "copying"}
    return match.group(1) if siblings & plain else None


def known_paths(inventory) -> frozenset[str]:
    """Every file and folder of the bundle, for naming the parts of a licence."""
    out: set[str] = set()
    for f in inventory.files:
        out.add(f.path)
        parts_ = f.path.split("/")[:-1]
        for i in range(1, len(parts_) + 1):
            out.add("/".join(parts_[:i]))
    return frozenset(out)


def _binary(text: str) -> bool:
    """A licence file that decodes, but is not text (NUL bytes, control
    characters): a PDF or an image saved under the name LICENSE."""
    sample = text[:4096]
    odd = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f")
    return "\x00" in sample or odd > len(sample) // 20


def readme_sources(inventory) -> list[Source]:
    """Licences named in a README's licence section or "released under"
    sentence: they cover the README's folder."""
    from .readme import readme_licenses

    out = []
    for f, found in readme_licenses(inventory, known_paths(inventory)):
        for part in found:
            out.append(Source(
                path=f.path, kind="readme", license=part.license, confidence=part.confidence,
                method="readme", covers=f.directory if f.directory != "." else "",
                artifact=f.artifact, line=part.line, role=part.role, scope=part.scope,
                paths=part.folders, subject=part.subject, linked=part.linked))
    return out


# Declarations in metadata: they state the licence of their artifact, and
# cover no folder.
DECLARED_IN_METADATA = ("card", "gguf")


@dataclass(frozen=True)
class GGUFDeclaration:
    """What a GGUF model file says about itself in its ``general.*`` keys."""

    path: str
    artifact: str
    license: str | None
    base_models: tuple[str, ...]
    name: str | None


def gguf_declarations(inventory) -> list[GGUFDeclaration]:
    """The licence, base models and name of every readable GGUF file, read
    with the bounded core reader (the header and metadata only; a file it
    refuses is the model-files check's ``bundle.unreadable``)."""
    out = []
    for f in inventory.files:
        if f.suffix != ".gguf" or not f.readable:
            continue
        # The GGUF reader: only for a bundle that has a GGUF file.
        from aiart_release.readers.gguf import GGUFError, base_models, read_gguf

        try:
            values = read_gguf(f.abspath).values
        except (GGUFError, OSError):
            continue
        license_value = values.get("general.license")
        name = values.get("general.name")
        out.append(GGUFDeclaration(
            path=f.path, artifact=f.artifact,
            license=license_value.strip()[:200] if isinstance(license_value, str)
            and license_value.strip() else None,
            base_models=tuple(hub_id(b) for b in base_models(values)),
            name=name.strip()[:200] if isinstance(name, str) and name.strip() else None))
    return out


def hub_id(base: str) -> str:
    """A Hugging Face model id from a base-model reference: GGUF files name
    ``https://huggingface.co/meta-llama/Llama-3.1-8B``, cards
    ``meta-llama/Llama-3.1-8B``."""
    match = re.match(r"(?i)^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/"
                     r"([^/\s?#]+/[^/\s?#]+)", base.strip())
    return match.group(1) if match else base.strip()


def gguf_sources(declarations: list[GGUFDeclaration]) -> list[Source]:
    """A licence declaration for each GGUF file that states one."""
    out = []
    for d in declarations:
        if d.license is None:
            continue
        resolved = resolve(d.license)
        out.append(Source(
            path=d.path, kind="gguf", license=resolved, confidence=1.0 if resolved else 0.0,
            method="gguf-metadata", covers=d.path, artifact=d.artifact, detail=d.license))
    return out


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


def spdx_headers(inventory) -> list[Source]:
    """Licences stated at the top of source files: an
    ``SPDX-License-Identifier`` line, or a notice ("This work is made
    available under the Nvidia Source Code License-NC"), read from the head
    the inventory kept."""
    out = []
    styles = [f for f in inventory.of_kind("text") if f.suffix in (".css", ".scss", ".less")]
    for f in inventory.of_kind("code") + styles:
        if not f.readable:
            continue
        head = f.head[:SPDX_HEAD_BYTES]
        value = spdx_identifier(head)
        if value is not None:
            resolved = resolve(value)
            out.append(Source(path=f.path, kind="spdx-header", license=resolved,
                              confidence=1.0 if resolved else 0.0, method="spdx-identifier",
                              covers=f.path, artifact=f.artifact, vendored=is_vendored(f.path),
                              detail=value))
            continue
        notice = _header_notice(head.decode("utf-8", "replace"))
        if notice:
            license_id, line = notice
            out.append(Source(path=f.path, kind="header", license=license_id, confidence=0.8,
                              method="header-notice", covers=f.path, artifact=f.artifact,
                              vendored=is_vendored(f.path), line=line))
    return out


@cache
def _notice() -> re.Pattern[str]:
    return re.compile(r"\b(?:licen[cs]ed|made available|released|distributed) under\b", re.I)


def _header_notice(head: str) -> tuple[str, int] | None:
    """The licence a comment at the top of a source file names, and its line."""
    from aiart_release.license_catalog import phrases

    from .identify import reference

    # Only comments: a string in the code may name a licence for another
    # purpose (a card template).
    lines = head.split("\n")
    comments = [(n, line) for n, line in enumerate(lines, start=1)
                if line.lstrip().startswith(("#", "//", "/*", "*", "--", ";"))]
    # A banner at the top of a bundled script or style sheet:
    # "/*! bulma.io v0.9.1 | MIT License | github.com/... */", "@license MIT".
    if comments and comments[0][1].lstrip().startswith("/*!"):
        for number, line in comments[:5]:
            found = reference(line[:300]) or _license_tag(line[:300])
            if found:
                return found, number
    for number, line in comments[:5]:
        if "@license" in line and _license_tag(line):
            return _license_tag(line), number
    for number, line in comments:
        lowered = line.lower()
        for phrase, license_id in phrases():
            if phrase.lower() in lowered:
                return license_id, number
    text = "\n".join(line for _, line in comments)
    match = _notice().search(text)
    if not match:
        return None
    found = reference(" ".join(text[match.start():match.start() + 200].split()))
    number = comments[text.count("\n", 0, match.start())][0]
    return (found, number) if found else None


def _license_tag(line: str) -> str | None:
    match = re.search(r"@license\s+([A-Za-z0-9.+-]+)", line)
    return resolve(match.group(1)) if match else None


def scope_parts(files: list[Source], headers: list[Source],
                known: frozenset[str] = frozenset()) -> list[Source]:
    """A part licence that names no folder ("LICENSE-NVIDIA", "LICENSE-LPIPS")
    covers the source files whose header names the same licence, or else the
    files and folders named like the part ("lpips/", "fid.py")."""
    from dataclasses import replace

    out = []
    for s in files:
        if s.role == "part" and not s.paths and s.license:
            named = sorted({h.path.rpartition("/")[0] or h.path for h in headers
                            if h.license == s.license})
            if not named and s.scope:
                stem = s.scope.lower()
                named = sorted(p for p in known
                               if p.rpartition("/")[2].split(".")[0].lower() == stem)[:10]
            if named:
                s = replace(s, paths=tuple(named))
        out.append(s)
    return out


def attribute_subjects(files: list[Source], statements: list[Source]) -> list[Source]:
    """A licence file says "the Software"; the README says which artifact it
    is for ("The Python code in this repository is available under the [MIT
    License](./LICENSE)"). A folder's main licence file takes the artifacts
    of the statements that link to it, or else of the statements of its
    folder that name the same licence and an artifact."""
    from dataclasses import replace

    scoped = [t for t in statements if t.subject and t.license and t.role == "main"]
    out = []
    for s in files:
        if s.role == "main" and not s.subject and s.license and scoped:
            # A link is read relative to the statement's folder.
            here = [t for t in scoped if t.covers == s.covers]
            linking = [t for t in here if t.linked and s.path in (
                t.linked, f"{t.covers}/{t.linked}")]
            same = [t for t in here if t.license == s.license]
            subjects = sorted({a for t in linking or same for a in t.subject.split(",")})
            if subjects:
                s = replace(s, subject=",".join(subjects))
        out.append(s)
    return out


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:80]
    return ""
