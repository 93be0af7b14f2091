"""Which pictures, sounds and videos illustrate the documentation rather
than make up a dataset.

A repository's README figures, its project web page and its sample outputs
are images too. Taken for training data, they drew consent and provenance
findings onto screenshots and sample outputs and closed a "dataset" that
the repository never had. An image is documentation when a Markdown, HTML
or reStructuredText page of the bundle shows it, when it sits in a folder
of such images, in a folder named for documentation or outputs, or at the
top of the bundle. Folders named for data (``data/``, ``dataset/``) stay
data whatever shows them: a dataset card often shows a sample of its data;
but the innermost name decides, so ``data/inpainting_examples/`` holds
examples (unless ``data/`` has a dataset card of its own).

A built web app (``index.html`` beside a bundler's output: hashed
``assets/index-<hash>.js``, a vite or webpack config, ``package.json``) is a
site: its icons and pictures are the page's, unless they lie in a folder
named for data or a dataset card names their folder. A page's absolute
links may start with the repository's name, as GitHub Pages serves a
project (``/diffusiondb/explorer/a.png`` for ``explorer/a.png``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Protocol

from .lazy_pattern import LazyPattern

MEDIA_KINDS = frozenset({"image", "audio", "video"})
PAGE_SUFFIXES = {".md", ".markdown", ".html", ".htm", ".rst", ".ipynb"}
MAX_PAGE_BYTES = 2 * 1024 * 1024

DATA_FOLDERS = {
    "data", "dataset", "datasets", "training_data", "training-data", "train", "corpus",
    "captions", "raw",
}
# Folders that hold pictures of the project, not its data.
_DOC_FOLDER = LazyPattern(
    r"(?i)^(docs?|documentation|assets?|static|_static|site|website|web|github_page|gh-pages"
    r"|figures?|figs?|screenshots?|teasers?|contents?|resources?"
    r"|.*(?:^|[_-])(samples?|examples?|demos?|outputs?|results?|previews?|showcase))$"
)
# Folders of example or demo inputs a release shows its code working on
# (``data/inpainting_examples/``): documentation, but photographs of people
# in them are still people published without a word about their consent.
_EXAMPLE_NAME = r"(?:.*[_-])?(?:examples?|demos?)"
EXAMPLE_FOLDER = LazyPattern(rf"(?i)^{_EXAMPLE_NAME}$")
# The innermost folder names that make examples of what an outer data
# folder holds: ``stable_diffusion/data/inpainting_examples/``.
_EXAMPLES_FOLDER = LazyPattern(rf"(?i)^{_EXAMPLE_NAME}$|^assets?$")
_SITE_INDEX = {"index.html", "index.htm"}
# A bundler's configuration or package file beside the page.
_BUNDLER_FILE = LazyPattern(
    r"(?i)^(?:package\.json|(?:vite|webpack|rollup|svelte|astro|next|nuxt)\.config\.[cm]?[jt]s)$")
# A bundler's output: a name with a content hash (vite ``index.088f35d5.js``
# or ``index-088f35d5.js``, webpack ``main.3f2a1b9c.chunk.js``).
_HASHED_OUTPUT = LazyPattern(
    r"(?i)^[\w-]+[.-](?=[0-9a-f]*\d)[0-9a-f]{8,}(?:\.chunk)?\.(?:m?js|css)$")
_REFERENCE = LazyPattern(
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
    # Folders a dataset card of the release lies in (a vendored project's
    # card, in the generated context, describes that project's data).
    carded = {_parent(f.path) for f in files
              if f.kind == "dataset-card" and getattr(f, "context", None) is None}
    sites = site_folders(files)
    described = _described_as_data(files, media, sites)
    out = set()
    for f in media:
        folders = PurePosixPath(f.path).parts[:-1]
        verdict = _innermost_verdict(folders, carded)
        if verdict == "data":
            continue
        if (verdict == "docs" or f.path in shown or _parent(f.path) in shown_dirs or not folders
                or any(_DOC_FOLDER.match(part) for part in folders)
                or (_in_site(f.path, sites) and _parent(f.path) not in described)):
            out.add(f.path)
    return out


def _innermost_verdict(folders: tuple[str, ...], carded: set[str]) -> str | None:
    """``"data"`` when a folder named for data holds the file, ``"docs"``
    when a folder of examples, demos or assets inside it does (the innermost
    name wins, unless a dataset card lies in that data folder or above it:
    then its examples are its data), None when neither."""
    for index in range(len(folders) - 1, -1, -1):
        part = folders[index]
        if part.lower() in DATA_FOLDERS:
            return "data"
        if _EXAMPLES_FOLDER.match(part):
            outer = next((i for i in range(index - 1, -1, -1)
                          if folders[i].lower() in DATA_FOLDERS), None)
            if outer is None:
                return None  # the documentation folder rule below decides
            covering = {"/".join(folders[:end]) for end in range(outer + 2)}
            return "data" if covering & carded else "docs"
    return None


def site_folders(files: Iterable[_File]) -> set[str]:
    """The folders that hold a built web app: an ``index.html`` and, beside
    it or below it, a bundler's configuration or hashed output ("" for the
    top of the bundle)."""
    files = list(files)
    pages = {_parent(f.path) for f in files if PurePosixPath(f.path).name.lower() in _SITE_INDEX}
    if not pages:
        return set()
    sites = set()
    for f in files:
        name = PurePosixPath(f.path).name
        if not (_BUNDLER_FILE.match(name) or _HASHED_OUTPUT.match(name)):
            continue
        folder = _parent(f.path)
        # The page's own folder, or the one above its assets/ or dist/.
        for candidate in (folder, _parent(folder)):
            if candidate in pages:
                sites.add(candidate)
                break
    return sites


def _in_site(path: str, sites: set[str]) -> bool:
    return any(site == "" or path.startswith(site + "/") for site in sites)


def _described_as_data(files: list[_File], media: list[_File], sites: set[str]) -> set[str]:
    """The folders of a site's media that a dataset card names: a web
    repository's real image folder, described as data."""
    folders = {_parent(f.path) for f in media if _in_site(f.path, sites)} - {""}
    if not folders:
        return set()
    text = " ".join(_page_text(f) for f in files if f.kind == "dataset-card")
    # The folder itself ("explorer/public/shots" or ".../shots/"), not a
    # folder above it that its path begins with.
    return {folder for folder in folders
            if re.search(r"(?<![\w./-])" + re.escape(folder) + r"/?(?![\w/-])", text)}


def _page_text(page: _File) -> str:
    if page.skipped or page.size > MAX_PAGE_BYTES:
        return ""
    try:
        with open(page.abspath, "rb") as handle:  # type: ignore[call-overload]
            return handle.read(MAX_PAGE_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def _parent(path: str) -> str:
    parent = PurePosixPath(path).parent.as_posix()
    return "" if parent == "." else parent


def _shown_by_pages(files: list[_File], media: set[str]) -> set[str]:
    shown: set[str] = set()
    for page in files:
        if (PurePosixPath(page.path).suffix.lower() not in PAGE_SUFFIXES
                or page.skipped or page.size > MAX_PAGE_BYTES):
            continue
        text = _page_text(page)
        if not text:
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
            resolved = _resolved(base, target, media)
            if resolved is not None:
                shown.add(resolved)
    return shown


def _resolved(base: PurePosixPath, target: str, media: set[str]) -> str | None:
    """The media file a page's link names: relative to the page, or from the
    top of the bundle, or (GitHub Pages serves a project below its name:
    ``/diffusiondb/explorer/a.png``) from the top once its first part, the
    repository's name, is taken off."""
    if not target.startswith("/"):
        resolved = _normalise(base / target)
        return resolved if resolved in media else None
    resolved = _normalise(PurePosixPath(target.lstrip("/")))
    if resolved in media:
        return resolved
    _, _, below_project = resolved.partition("/")
    return below_project if below_project in media else None


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
SAMPLE_FOLDER = LazyPattern(r"(?i)^(?:.*[_-])?(?:samples?|outputs?|generations?|generated)$")


def in_sample_folder(path: str) -> bool:
    """Whether ``path`` lies in a folder of generated samples or outputs."""
    return any(SAMPLE_FOLDER.match(part) for part in PurePosixPath(path).parts[:-1])


def in_example_folder(path: str) -> bool:
    """Whether ``path`` lies in a folder of example or demo inputs."""
    return any(EXAMPLE_FOLDER.match(part) for part in PurePosixPath(path).parts[:-1])
