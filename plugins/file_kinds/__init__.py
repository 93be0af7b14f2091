"""Built-in file classifier: names, extensions and, where those do not
decide, a look at the first bytes. Which Markdown is a model or dataset
card is decided here too, by name, Hub metadata and content (``cards.py``).

It runs last (``trylast``), so a third-party plugin that knows a format
better answers first.
"""

from __future__ import annotations

import os
import re
from functools import cache, lru_cache

from aiart_release import hookimpl

from .cards import (
    DATA_FOLDER_THRESHOLD,
    README_THRESHOLD,
    data_score,
    kind_by_heading,
    kind_by_name,
)

_BY_SUFFIX: dict[str, str] = {}


def _kind(kind: str, *suffixes: str) -> None:
    for suffix in suffixes:
        _BY_SUFFIX[suffix] = kind


_kind(
    "model-weights",
    ".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".pkl", ".pickle", ".onnx", ".gguf",
    ".ggml", ".keras", ".tflite", ".msgpack", ".mlmodel", ".pb", ".joblib", ".npy", ".npz",
    ".pdparams", ".h5",
)
_kind(
    "code",
    ".py", ".pyi", ".pyx", ".ipynb", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".sh",
    ".bash", ".zsh", ".fish", ".ps1", ".bat", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".cu",
    ".cuh", ".rs", ".go", ".java", ".kt", ".scala", ".r", ".jl", ".lua", ".rb", ".php",
    ".swift", ".m", ".mm", ".pl", ".glsl", ".frag", ".vert", ".hlsl", ".wgsl", ".metal",
    ".sql", ".cmake", ".mk", ".vue", ".svelte", ".cs", ".pde",
)
_kind(
    "text",
    ".txt", ".md", ".markdown", ".rst", ".srt", ".vtt", ".ass", ".caption", ".tex", ".html",
    ".htm", ".org", ".adoc", ".text",
)
_kind("table", ".csv", ".tsv", ".jsonl", ".ndjson", ".parquet", ".arrow", ".feather")
_kind(
    "image",
    ".png", ".jpg", ".jpeg", ".jpe", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic",
    ".heif", ".avif", ".jxl", ".svg", ".ico", ".psd", ".exr", ".hdr", ".dng", ".cr2", ".nef",
    ".arw",
)
_kind(
    "audio",
    ".wav", ".mp3", ".flac", ".ogg", ".oga", ".m4a", ".aac", ".opus", ".aiff", ".aif", ".mid",
    ".midi", ".wma",
)
_kind("video", ".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv")
_kind("archive", ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst", ".lz4")
_kind(
    "config",
    ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".json", ".properties", ".xml", ".env",
    ".lock",
)

_CODE_NAMES = {
    "makefile", "dockerfile", "containerfile", "cmakelists.txt", "justfile", "snakefile",
    "gnumakefile", "vagrantfile", "procfile",
}
_CONFIG_NAMES = {
    "pipfile", ".gitignore", ".gitattributes", ".dockerignore", ".editorconfig",
    ".pre-commit-config.yaml", ".pre-commit-hooks.yaml",
}


@cache
def _license_name() -> re.Pattern[str]:
    return re.compile(
        r"^(licen[cs]e|copying|unlicen[cs]e|notice|copyright|copyleft|patents)([-._].*)?$",
        re.IGNORECASE,
    )


_CARD_SUFFIXES = {".md", ".markdown", ".mdx", ".rst", ".txt"}
MAX_CARD_SNIFF = 64 * 1024


@cache
def _manifest_stem() -> re.Pattern[str]:
    return re.compile(
        r"(^|[-_.])(sources?|provenance|manifest|croissant|attributions?|credits?)([-_.]|$)",
        re.IGNORECASE
    )


_MANIFEST_SUFFIXES = {".csv", ".tsv", ".json", ".jsonl", ".yaml", ".yml"}


# Keys of Hugging Face card metadata that only one kind of card uses.
@cache
def _model_keys() -> re.Pattern[str]:
    return re.compile(
        rb"^(base_model|pipeline_tag|library_name|model-index|model_name|inference|widget|"
        rb"instance_prompt)\s*:", re.MULTILINE,
    )


@cache
def _dataset_keys() -> re.Pattern[str]:
    return re.compile(
        rb"^(task_categories|size_categories|source_datasets|dataset_info|configs|"
        rb"annotations_creators|language_creators|multilinguality|task_ids|pretty_name)\s*:",
        re.MULTILINE,
    )


_DATA_DIRS = {"data", "dataset", "datasets", "images", "captions", "corpus", "train"}
_DOC_DIRS = {"docs", "doc", "documentation", "assets", "static", "figures", "figs", "site",
             "website", "screenshots", "github_page", "gh-pages", "_static"}


_MEDIA_SUFFIXES = {s for s, k in _BY_SUFFIX.items() if k in ("image", "audio", "video")}


def _front_matter_kind(file, readme: bool) -> str | None:
    """A card by its Hub metadata. A README's front matter makes it a card
    whatever keys it has (the Hub reads it so); another page's front matter
    (Jekyll's ``layout:``) must hold keys only cards use."""
    head = file.head
    if not head.lstrip(b"\xef\xbb\xbf").startswith(b"---"):
        return None
    if _model_keys().search(head):
        return "model-card"
    if _dataset_keys().search(head):
        return "dataset-card"
    if not readme:
        return None
    if _in_data_folder(file):
        return "dataset-card"
    return "model-card"


def _holds_media(folder: str) -> bool:
    try:
        # The folder's mtime changes when files come or go: a cached answer
        # never outlives the listing it came from.
        return _listing_holds_media(folder, os.stat(folder).st_mtime_ns)
    except OSError:
        return False


@lru_cache(maxsize=4096)
def _listing_holds_media(folder: str, _mtime: int) -> bool:
    return any(os.path.splitext(n)[1].lower() in _MEDIA_SUFFIXES for n in os.listdir(folder))


def _in_data_folder(file) -> bool:
    """Below a folder named like data, or beside images, audio or video
    (the repository's root does not count: its pictures illustrate it)."""
    if len(file.parts) < 2:
        return False
    folders = [part.lower() for part in file.parts[:-1]]
    if any(part in _DATA_DIRS for part in folders):
        return True
    # Pictures in a documentation folder illustrate the documentation.
    return not any(part in _DOC_DIRS for part in folders) and \
        _holds_media(str(file.abspath.parent))


def _markdown_card_kind(file, readme: bool) -> str | None:
    """Model or dataset card by front matter, title and content."""
    kind = _front_matter_kind(file, readme)
    if kind:
        return kind
    data = file.prefix(MAX_CARD_SNIFF)
    if file.read_error is not None:
        return None
    text = data.decode("utf-8", "replace")
    kind = kind_by_heading(text)
    if kind:
        return kind
    in_data = _in_data_folder(file)
    # A README at the root of a data folder is its card once it says anything
    # about the data; another page there once it describes a dataset; a
    # README elsewhere only when it is mostly about data.
    threshold = (DATA_FOLDER_THRESHOLD if readme else DATA_FOLDER_THRESHOLD + 1) if in_data \
        else README_THRESHOLD if readme else None
    if threshold is not None and data_score(text) >= threshold:
        return "dataset-card"
    return None


def _json_kind(file) -> str:
    head = file.head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"mlcommons.org/croissant" in file.head:
        return "manifest"
    if head.startswith(b"["):
        return "table"  # a JSON array: records, as the datasets library reads them
    return "config"


@hookimpl(trylast=True)
def aiart_release_classify_file(file):
    name = file.name.lower()
    suffix = file.suffix
    in_licenses_dir = any(part.upper() in ("LICENSES", "LICENCES") for part in file.parts[:-1])
    if in_licenses_dir or _license_name().match(name):
        return "license"
    if suffix in _CARD_SUFFIXES:
        kind = kind_by_name(name)
        if kind:
            return kind
    if suffix in (".md", ".markdown", ".mdx"):
        return _markdown_card_kind(file, name.startswith("readme")) or "text"
    stem = name[: -len(suffix)] if suffix else name
    if suffix in _MANIFEST_SUFFIXES and _manifest_stem().search(stem):
        return "manifest"
    if name in _CODE_NAMES:
        return "code"
    if name in _CONFIG_NAMES or name.startswith("requirements") and suffix == ".txt":
        return "config"
    if suffix == ".json":
        return _json_kind(file)
    kind = _BY_SUFFIX.get(suffix)
    if kind is not None:
        return kind
    # Unknown name: text if the first bytes decode as text.
    head = file.head
    if not head:
        return "other"
    if file.looks_binary:
        return "other"
    if not suffix and head.startswith(b"#!"):
        return "code"  # a script: `scripts/pull-request`, `bin/gallery-dl`
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return "text"  # a byte-order mark: Unicode text
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the head
            return "other"
    return "text"
