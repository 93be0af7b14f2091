"""Which pictures, sounds and videos illustrate the documentation rather
than make up a dataset.

A repository's README figures, its project web page and its sample outputs
are images too. Taken for training data, they drew consent and provenance
findings onto screenshots and sample outputs and closed a "dataset" that
the repository never had. An image is documentation when a Markdown, HTML
or reStructuredText page of the bundle shows it, when it sits in a folder
of such images, in a folder named for documentation or outputs, or at the
top of the bundle. Folders named for data (``data/``, ``dataset/``) stay
data whatever shows them: a dataset card often shows a sample of its data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Protocol

MEDIA_KINDS = frozenset({"image", "audio", "video"})
PAGE_SUFFIXES = {".md", ".markdown", ".html", ".htm", ".rst", ".ipynb"}
MAX_PAGE_BYTES = 2 * 1024 * 1024

DATA_FOLDERS = {
    "data", "dataset", "datasets", "training_data", "training-data", "train", "corpus",
    "captions", "raw",
}
# Folders that hold pictures of the project, not its data.
_DOC_FOLDER = re.compile(
    r"(?i)^(docs?|documentation|assets?|static|_static|site|website|web|github_page|gh-pages"
    r"|figures?|figs?|screenshots?|teasers?|contents?|resources?"
    r"|.*(?:^|[_-])(samples?|examples?|demos?|outputs?|results?|previews?|showcase))$"
)
_REFERENCE = re.compile(
    r"""(?:src|href|data-src|poster)\s*=\s*["']([^"'#?]+)|\]\(\s*<?([^)\s>#?]+)"""
    r"""|\.\.\s+(?:image|figure)::\s*(\S+)|!\[[^\]]*\]\[[^\]]*\]"""
)


class _File(Protocol):
    path: str
    abspath: object
    size: int
    kind: str
    skipped: str | None


def documentation_media(files: Iterable[_File]) -> set[str]:
    """Paths of media files that illustrate the documentation."""
    files = list(files)
    media = [f for f in files if f.kind in MEDIA_KINDS]
    if not media:
        return set()
    shown = _shown_by_pages(files, {f.path for f in media})
    shown_dirs = {_parent(p) for p in shown}
    out = set()
    for f in media:
        folders = PurePosixPath(f.path).parts[:-1]
        if any(part.lower() in DATA_FOLDERS for part in folders):
            continue
        if (f.path in shown or _parent(f.path) in shown_dirs or not folders
                or any(_DOC_FOLDER.match(part) for part in folders)):
            out.add(f.path)
    return out


def _parent(path: str) -> str:
    parent = PurePosixPath(path).parent.as_posix()
    return "" if parent == "." else parent


def _shown_by_pages(files: list[_File], media: set[str]) -> set[str]:
    shown: set[str] = set()
    for page in files:
        if (PurePosixPath(page.path).suffix.lower() not in PAGE_SUFFIXES
                or page.skipped or page.size > MAX_PAGE_BYTES):
            continue
        try:
            with open(page.abspath, "rb") as handle:  # type: ignore[call-overload]
                text = handle.read(MAX_PAGE_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        base = PurePosixPath(_parent(page.path))
        for match in _REFERENCE.finditer(text):
            target = next((g for g in match.groups() if g), None)
            if not target:
                continue
            if "://" in target:
                # The repository's own file, linked absolutely
                # (github.com/o/r/raw/main/figs/a.png, raw.githubusercontent...).
                own = _own_file(target, media)
                if own:
                    shown.add(own)
                continue
            resolved = _normalise(base / target.lstrip("/")) if not target.startswith("/") \
                else _normalise(PurePosixPath(target.lstrip("/")))
            if resolved in media:
                shown.add(resolved)
    return shown


def _own_file(url: str, media: set[str]) -> str | None:
    """The media path an absolute URL ends with, if any: the longest one."""
    parts = url.split("://", 1)[1].split("?", 1)[0].split("/")
    for start in range(1, len(parts)):
        candidate = "/".join(parts[start:])
        if candidate in media:
            return candidate
    return None


def _normalise(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


# Folders of generated samples and outputs: what the faces and memorisation
# checks compare with the dataset (narrower than the documentation folders
# above: examples, demos and previews are not a model's outputs).
SAMPLE_FOLDER = re.compile(r"(?i)^(?:.*[_-])?(?:samples?|outputs?|generations?|generated)$")


def in_sample_folder(path: str) -> bool:
    """Whether ``path`` lies in a folder of generated samples or outputs."""
    return any(SAMPLE_FOLDER.match(part) for part in PurePosixPath(path).parts[:-1])
