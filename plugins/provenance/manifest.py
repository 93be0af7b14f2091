"""Dataset sources manifests: one row per item (file, creator, source,
licence, consent), as CSV, TSV, JSON Lines, a JSON array, YAML, or
Croissant JSON-LD (MLCommons' dataset metadata format).

Column names vary between tools and people, so each field accepts the usual
aliases (``file_name`` as the Hugging Face imagefolder writes it, ``artist``,
``source_url``, ``licence``...).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from aiart_release.readers.jsonfile import load_json
from aiart_release.readers.limits import DATA_LIMITS, YAML_DATA_LIMITS, LimitExceeded, Limits
from aiart_release.readers.tables import TableError, iter_rows, table_format
from aiart_release.readers.text import TextUnreadable, read_text
from aiart_release.records import dataclass

ALIASES = {
    "path": ("path", "file", "file_name", "filename", "file_path", "image", "image_path",
             "audio", "audio_path", "video", "item", "local_path", "imageid", "image_id",
             "file_id"),
    "sha256": ("sha256", "sha-256", "hash", "checksum", "digest", "content_hash"),
    "creator": ("creator", "author", "artist", "by", "credit", "credits", "photographer",
                "owner", "uploader", "contributor", "made_by", "attribution"),
    "source": ("source", "url", "source_url", "origin", "link", "page", "src", "web_url",
               "found_at", "originalurl", "original_url", "originallandingurl",
               "original_landing_url", "landing_url", "landingurl", "page_url"),
    "license": ("license", "licence", "license_id", "licence_id", "rights", "spdx"),
    "contact_public": ("contact_public", "public_contact", "contact_is_public"),
    "consent": ("consent", "permission", "permissions", "opt_in", "release_form",
                "model_release", "consent_given"),
}
_YES = {"yes", "y", "true", "1", "granted", "given", "signed", "ok", "opt-in", "opted in",
        "agreed", "permission granted", "written permission"}
_NO = {"no", "n", "false", "0", "refused", "denied", "opt-out", "opted out", "withdrawn",
       "revoked", "declined"}


@dataclass
class Item:
    """One entry of a manifest."""

    row: int
    line: int | None
    path: str | None = None  # bundle-relative, when it names a file
    declared_path: str | None = None
    sha256: str | None = None
    creator: str | None = None
    source: str | None = None
    license: str | None = None
    consent: str = "unknown"  # yes | no | unknown
    # The creator agreed to show their contact (an e-mail address) in the
    # credits; without it CREDITS.md names them and links, nothing more.
    contact_public: bool = False


@dataclass
class Manifest:
    path: str
    items: list[Item] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    error: str | None = None
    # Set when the manifest passed a reader's limit: a bundle.too-complex finding.
    limit: LimitExceeded | None = None
    dataset_license: str | None = None
    dataset_creator: str | None = None


class ManifestError(Exception):
    def __init__(self, message: str, limit: LimitExceeded | None = None):
        self.limit = limit
        super().__init__(message)


class NotAManifest(Exception):
    """A file named like a manifest that lists no items: a web app's
    ``manifest.json``, a bundler's ``asset-manifest.json``. It is no
    sources manifest, and no problem either."""


def consent_value(value: str | None) -> str:
    text = (value or "").strip().lower()
    if text in _YES:
        return "yes"
    if text in _NO:
        return "no"
    return "unknown"


def _field(record: dict[str, Any], name: str) -> str | None:
    lowered = {str(k).strip().lower().replace(" ", "_"): v for k, v in record.items()}
    for alias in ALIASES[name]:
        value = lowered.get(alias)
        if isinstance(value, (str, int, float)) and str(value).strip():
            return str(value).strip()
    return None


def _item(row: int, line: int | None, record: dict[str, Any]) -> Item:
    sha = _field(record, "sha256")
    if sha:
        sha = sha.lower().removeprefix("sha256:").strip()
    return Item(
        row=row, line=line, declared_path=_field(record, "path"), sha256=sha,
        creator=_field(record, "creator"), source=_field(record, "source"),
        license=license_name(_field(record, "license")),
        consent=consent_value(_field(record, "consent")),
        contact_public=consent_value(_field(record, "contact_public")) == "yes",
    )


def read_manifest(file, root: Path) -> Manifest:
    """Read a manifest file (a BundleFile); problems go in ``error``."""
    manifest = Manifest(path=file.path)
    try:
        if file.suffix in (".yaml", ".yml"):
            _from_records(manifest, _yaml_records(file.abspath))
        elif file.suffix == ".json" and _is_croissant(file.head):
            _croissant(manifest, file.abspath)
        elif file.suffix == ".json" and not _is_array(file.head):
            _from_records(manifest, _json_object_records(file.abspath))
        elif table_format(file.abspath):
            for row, line, cells in iter_rows(file.abspath):
                if not manifest.columns:
                    manifest.columns = list(cells)
                manifest.items.append(_item(row, line, cells))
        else:
            raise ManifestError(f"not a manifest format: {file.suffix}")
    except NotAManifest:
        return manifest
    except (TableError, ManifestError, TextUnreadable, ValueError) as exc:
        manifest.error = str(exc)
        limit = exc if isinstance(exc, LimitExceeded) else getattr(exc, "limit", None)
        manifest.limit = limit if isinstance(limit, LimitExceeded) else None
    base = PurePosixPath(file.path).parent
    by_stem = _StemIndex(root / base)
    for item in manifest.items:
        item.path = _locate(item.declared_path, base, root, by_stem)
    return manifest


class _StemIndex:
    """Files below the manifest's folder by name without suffix, built on
    first use: manifests that name items by id (``0006400c1c224e19`` for
    ``test_images/0006400c1c224e19.jpg``)."""

    MAX_FILES = 200_000

    def __init__(self, folder: Path):
        self.folder = folder
        self._index: dict[str, str] | None = None

    def get(self, stem: str, root: Path) -> str | None:
        if self._index is None:
            self._index = {}
            seen = 0
            for folder, dirs, names in os.walk(self.folder):  # links are not followed
                # Hidden folders (.git) and caches are never part of the bundle.
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
                for name in sorted(names):
                    seen += 1
                    path = Path(folder, name)
                    if seen > self.MAX_FILES:
                        return self._index.get(stem)
                    if path.is_symlink() or name.startswith("."):
                        continue
                    # The first file of each stem, in walk order.
                    self._index.setdefault(path.stem, path.relative_to(root).as_posix())
        return self._index.get(stem)


def _locate(declared: str | None, base: PurePosixPath, root: Path,
            by_stem: _StemIndex | None = None) -> str | None:
    """The bundle-relative path a manifest entry names: relative to the
    manifest's folder (as the Hub's imagefolder does), else to the root;
    a bare id names the file of that name below the manifest's folder."""
    if not declared or "://" in declared:
        return None
    if by_stem is not None and "/" not in declared and "\\" not in declared and \
            not PurePosixPath(declared).suffix:
        found = by_stem.get(declared, root)
        if found:
            return found
    declared = declared.replace("\\", "/")
    if declared.startswith("./"):
        declared = declared[2:]
    for candidate in (base / declared, PurePosixPath(declared)):
        text = candidate.as_posix().lstrip("/")
        if ".." in PurePosixPath(text).parts:
            continue
        if (root / text).is_file():
            return text
    return (base / declared).as_posix().lstrip("/")


def _read(path: Path, limits: Limits = DATA_LIMITS) -> str:
    text, truncated = read_text(path, limits.max_bytes)
    if truncated:
        exceeded = LimitExceeded("max_bytes", limits.max_bytes)
        raise ManifestError(exceeded.describe(), limit=exceeded)
    return text


def _json(path: Path) -> Any:
    """A JSON manifest, depth and size checked before it is parsed."""
    return load_json(_read(path), DATA_LIMITS)


def _yaml_records(path: Path) -> Iterator[tuple[int, int | None, dict[str, Any]]]:
    from aiart_release.readers.yamlfile import DataFileError, load_yaml

    try:
        loaded = load_yaml(_read(path, YAML_DATA_LIMITS), path.name, YAML_DATA_LIMITS)
    except DataFileError as exc:
        raise ManifestError(exc.problems[0], limit=exc.limit) from None
    data = loaded.data
    if isinstance(data, dict):
        data = next((data[k] for k in ("items", "files", "sources", "images", "records")
                     if isinstance(data.get(k), list)), None)
    if not isinstance(data, list):
        raise ManifestError("a YAML manifest must be a list of entries (or hold one under "
                            "`items`, `files` or `sources`)")
    for i, record in enumerate(data, start=1):
        if isinstance(record, dict):
            line, _ = loaded.position([i - 1]) if loaded.node is not None else (None, None)
            yield i, line, record


def _json_object_records(path: Path) -> Iterator[tuple[int, int | None, dict[str, Any]]]:
    data = _json(path)
    entries = None
    if isinstance(data, dict):
        entries = next((data[k] for k in ("items", "files", "sources", "images", "records")
                        if isinstance(data.get(k), list)), None)
        if entries is None and all(isinstance(v, dict) for v in data.values()):
            # {"a.png": {"creator": ...}}: keyed by file
            entries = [{"file": key, **value} for key, value in data.items()]
    if not isinstance(entries, list):
        raise NotAManifest(path)
    for i, record in enumerate(entries, start=1):
        if isinstance(record, dict):
            yield i, None, record


def _from_records(manifest: Manifest, records) -> None:
    for row, line, record in records:
        if not manifest.columns:
            manifest.columns = [str(k) for k in record]
        manifest.items.append(_item(row, line, record))


# Both look at the head the inventory read (the classifier decides on the
# same bytes); the file is not opened again to sniff it.
def _is_array(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def _is_croissant(head: bytes) -> bool:
    return b"mlcommons.org/croissant" in head


def _croissant(manifest: Manifest, path: Path) -> None:
    """Croissant: the dataset's licence and creator, and one item per
    FileObject in `distribution` (its contentUrl and sha256)."""
    data = _json(path)
    if not isinstance(data, dict):
        raise ManifestError("Croissant metadata must be a JSON object")
    manifest.dataset_license = _text(data.get("license"))
    manifest.dataset_creator = _text(data.get("creator"))
    for i, entry in enumerate(data.get("distribution") or [], start=1):
        if not isinstance(entry, dict):
            continue
        kind = str(entry.get("@type", ""))
        if not kind.endswith("FileObject"):
            continue
        item = Item(row=i, line=None, declared_path=_text(entry.get("contentUrl")),
                    sha256=(_text(entry.get("sha256")) or None),
                    creator=_text(entry.get("creator")) or manifest.dataset_creator,
                    source=_text(entry.get("url") or entry.get("sameAs"))
                    or _text(data.get("url") or data.get("sameAs")),
                    license=_text(entry.get("license")) or manifest.dataset_license)
        manifest.items.append(item)
    manifest.columns = ["contentUrl", "sha256", "license", "creator"]


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@id") or value.get("url"))
    if isinstance(value, list) and value:
        return ", ".join(t for t in (_text(v) for v in value) if t) or None
    return None


# --- what an item's source and licence say ----------------------------------


@cache
def _cc_url() -> re.Pattern[str]:
    return re.compile(r"creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)", re.I)


@cache
def _cc0_url() -> re.Pattern[str]:
    return re.compile(r"creativecommons\.org/publicdomain/zero/1\.0", re.I)


@cache
def _cc_text() -> re.Pattern[str]:
    return re.compile(r"^cc[- ](by(?:[- ](?:nc|sa|nd))*)[- ]v?(\d\.\d)$", re.I)


def license_name(value: str | None) -> str | None:
    """A licence as a manifest writes it, with Creative Commons deeds
    (``https://creativecommons.org/licenses/by/2.0/``) and spaced names
    (``CC BY-NC 4.0``) turned into their SPDX ids; anything else as is."""
    if not value:
        return value
    text = value.strip()
    if _cc0_url().search(text):
        return "CC0-1.0"
    match = _cc_url().search(text) or _cc_text().match(text)
    if match:
        return f"CC-{match.group(1).upper().replace(' ', '-')}-{match.group(2)}"
    return text


# Forums and social platforms, where uploaders grant no licence to collectors:
# each domain, and the name prose calls it by (None where that name is an
# ordinary word: "x", "threads", "cara").
PLATFORMS = (
    (r"reddit\.com", "reddit"), (r"redd\.it", None), (r"deviantart\.com", r"deviant\s?art"),
    (r"artstation\.com", r"art\s?station"), (r"pixiv\.net", "pixiv"),
    (r"twitter\.com", "twitter"), (r"x\.com", None), (r"instagram\.com", "instagram"),
    (r"tumblr\.com", "tumblr"), (r"pinterest\.\w+", "pinterest"),
    (r"danbooru\.donmai\.us", "danbooru"), (r"gelbooru\.com", "gelbooru"),
    (r"safebooru\.org", "safebooru"), (r"e621\.net", "e621"), (r"4chan\.org", "4chan"),
    (r"4channel\.org", None), (r"discord(?:app)?\.com", "discord"),
    (r"facebook\.com", "facebook"), (r"tiktok\.com", "tiktok"), (r"flickr\.com", "flickr"),
    (r"behance\.net", "behance"), (r"newgrounds\.com", "newgrounds"),
    (r"furaffinity\.net", r"fur\s?affinity"), (r"weibo\.com", "weibo"), (r"vk\.com", None),
    (r"threads\.net", None), (r"bsky\.app", "bluesky"), (r"mastodon\.\w+", "mastodon"),
    (r"cara\.app", None), (r"imgur\.com", "imgur"),
)


# Python modules whose only purpose is collecting media or posts from sites.
COLLECTORS = {
    "gallery_dl": "gallery-dl", "img2dataset": "img2dataset", "yt_dlp": "yt-dlp",
    "youtube_dl": "youtube-dl", "instaloader": "instaloader", "praw": "praw (Reddit)",
    "tweepy": "tweepy (Twitter/X)", "snscrape": "snscrape", "pixivpy3": "pixivpy",
    "pixivpy": "pixivpy", "pybooru": "pybooru (Danbooru)", "scrapy": "scrapy",
    "icrawler": "icrawler", "bing_image_downloader": "bing-image-downloader",
    "google_images_download": "google-images-download", "clip_retrieval": "clip-retrieval",
    "instagrapi": "instagrapi", "facebook_scraper": "facebook-scraper", "pinscrape": "pinscrape",
}
# Command-line collectors, and exporters of a chat or forum's messages and
# attachments: a card naming one says how the data was collected.
SHELL_COLLECTORS = {"gallery-dl", "img2dataset", "yt-dlp", "youtube-dl", "instaloader",
                    "snscrape", "you-get"}
EXPORTERS = {"DiscordChatExporter", "discord-chat-exporter", "telegram-export",
             "reddit-archive", "twint"}


@cache
def platforms() -> re.Pattern[str]:
    """The platforms' domains, in a URL or a source column."""
    domains = "|".join(domain for domain, _ in PLATFORMS)
    return re.compile(rf"(?:^|[/.@])(?:{domains})\b", re.IGNORECASE)


@cache
def platform_names() -> re.Pattern[str]:
    """The platforms by name or domain, in prose ("the Stable Diffusion
    Discord server", "from Flickr", "on reddit.com")."""
    names = "|".join(name for _, name in PLATFORMS if name)
    domains = "|".join(domain for domain, _ in PLATFORMS)
    return re.compile(rf"\b(?:{names})\b|\b(?:{domains})\b", re.IGNORECASE)


@cache
def _own() -> re.Pattern[str]:
    return re.compile(r"^(?:self|me|myself|own(?: work)?|original|in[- ]house|studio|ours?|"
                      r"the studio|generated|synthetic|procedural)$", re.IGNORECASE)


@cache
def _public_domain() -> re.Pattern[str]:
    return re.compile(r"public[- ]domain|\bpdm\b|\bcc0\b|no known copyright", re.I)


def from_platform(item: Item) -> bool:
    """The item was taken from a forum or social platform."""
    return bool(item.source and platforms().search(item.source))


def own_work(item: Item) -> bool:
    return bool((item.creator and _own().match(item.creator.strip())) or
                (item.source and _own().match(item.source.strip())))


def public_domain(item: Item) -> bool:
    return bool(item.license and _public_domain().search(item.license))
