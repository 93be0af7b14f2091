"""Code that collects third-party works from websites, told apart from code
that downloads the project's own weights, code or dependencies.

A generic HTTP client (``requests``, ``urllib``, ``wget``) proves nothing on
its own: a notebook that fetches a checkpoint from the Hub uses the same
calls as a crawler. What makes code a scraper is what it fetches:

- a dedicated collection tool (gallery-dl, img2dataset, instaloader, a
  Reddit or Twitter API client, Scrapy...);
- pages of forums, galleries or social platforms (their domains in the code);
- HTML parsed for its links and images;
- media fetched in a loop (a list of image URLs turned into files);
- a recursive or mirroring ``wget``.

Fetching model files (``.ckpt``, ``.safetensors``, ``hf_hub_download``,
``load_state_dict_from_url``, ``gdown``) is recorded as a download, which
raises no consent question.

Detected from imports, calls and string literals, in Python (through
``ast``, so a word in a comment does not count), in shell scripts, in
notebooks (Python cells, ``!`` lines and ``%%bash`` cells) and, by pattern,
in JavaScript (Puppeteer, axios, cheerio...). Nothing is run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache

from aiart_release.readers.jsonfile import load_json
from aiart_release.readers.limits import DATA_LIMITS

from .manifest import platforms

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
# Generic clients: fetching, which may be of anything.
HTTP_CLIENTS = {
    "requests": "requests", "urllib.request": "urllib", "urllib3": "urllib3", "httpx": "httpx",
    "aiohttp": "aiohttp", "pycurl": "pycurl", "wget": "wget", "mechanize": "mechanize",
    "mechanicalsoup": "MechanicalSoup", "selenium": "selenium", "playwright": "playwright",
    "pyppeteer": "pyppeteer", "six.moves.urllib.request": "urllib",
}
# Parsing fetched pages for their links and images.
HTML_PARSERS = {
    "bs4": "BeautifulSoup", "BeautifulSoup": "BeautifulSoup", "lxml.html": "lxml.html",
    "parsel": "parsel", "pyquery": "pyquery", "selectolax": "selectolax",
    "html.parser": "html.parser", "mechanicalsoup": "MechanicalSoup",
}


# Calls that fetch a model (or a file by id) rather than third-party works.
@cache
def _model_fetches() -> re.Pattern[str]:
    return re.compile(
        r"(?:^|\.)(?:hf_hub_download|snapshot_download|cached_download|hf_hub_url|"
        r"load_state_dict_from_url|download_url_to_file|load_file_from_url|from_pretrained|"
        r"torch\.hub\.load|download_pretrained|attempt_download)$"
    )


# A call that fetches from the web: through a client module or an object
# named like one (``session.get``, ``self.client.stream``, ``driver.get``).
@cache
def _fetch_call() -> re.Pattern[str]:
    return re.compile(
        r"^(?:self\.)?(?:requests|httpx|urllib\.request|urllib3|wget|aiohttp|\w*session\w*|"
        r"\w*client\w*|\w*http\w*|driver|browser|page)\.(?:get|post|request|urlopen|urlretrieve|"
        r"download|stream|goto|fetch)$|(?:^|\.)(?:urlopen|urlretrieve)$", re.IGNORECASE)


# Model files: fetching one is a download of weights.
@cache
def _model_file() -> re.Pattern[str]:
    return re.compile(
        r"\.(?:ckpt|pth|pt|safetensors|bin|onnx|h5|pkl|pb|tflite|msgpack|gguf|npz)(?:[?#]\S*)?$|"
        r"huggingface\.co/[^\s\"']+/resolve/|civitai\.com/api/download/models", re.IGNORECASE)


# URLs of things that are not third-party works: weights, code, configs,
# archives and packages.
@cache
def _not_works_url() -> re.Pattern[str]:
    return re.compile(
        r"\.(?:zip|tar|tgz|gz|whl|deb|py|txt|json|ya?ml|cfg|sh|patch|diff)(?:[?#]\S*)?$|"
        r"/releases/download/|raw\.githubusercontent\.com/|github\.com/[^\s]+/raw/", re.IGNORECASE)


@cache
def _media_words() -> re.Pattern[str]:
    return re.compile(
        r"(?i)(?:^|[^a-z])(?:img|imgs|images?|photos?|pictures?|pics|media|videos?|thumbs?|"
        r"thumbnails?|artworks?|jpe?g|png|gif|webp|mp4)(?:[^a-z]|$)")


# Shell: a command that fetches, then its arguments.
@cache
def _shell_fetch() -> re.Pattern[str]:
    return re.compile(
        r"(?:^|[;&|(`]|\$\()\s*(?:sudo\s+)?(wget|curl|aria2c|gdown|gallery-dl|img2dataset|yt-dlp|"
        r"youtube-dl|instaloader|snscrape|you-get)\b([^\n;&|]*)", re.IGNORECASE | re.MULTILINE)


_SHELL_COLLECTORS = {"gallery-dl", "img2dataset", "yt-dlp", "youtube-dl", "instaloader",
                     "snscrape", "you-get"}


@cache
def _recursive() -> re.Pattern[str]:
    return re.compile(r"(?:^|\s)(?:-r|-m|--recursive|--mirror|-[a-zA-Z]*r[a-zA-Z]*\s+-A)\b")


@cache
def _url() -> re.Pattern[str]:
    return re.compile(r"https?://[^\s\"'<>)]+")


@cache
def _url_list() -> re.Pattern[str]:
    return re.compile(r"(?:^|\s)(?:-i|--input-file)(?:\s+|=)(\S*(?:img|image|photo|url)\S*)",
                      re.IGNORECASE)


# A relative folder that the code may write into ("data/images", "./scraped").
@cache
def _folder_literal() -> re.Pattern[str]:
    return re.compile(r"^\.?/?(?:[\w.-]+/)*[\w.-]+/?$")


@dataclass
class Profile:
    """What one code file does with the web."""

    path: str
    collectors: set[str] = field(default_factory=set)  # dedicated collection tools
    clients: set[str] = field(default_factory=set)  # generic HTTP clients
    targets: set[str] = field(default_factory=set)  # why its fetching is of others' works
    platforms: set[str] = field(default_factory=set)  # site domains it names
    downloads: set[str] = field(default_factory=set)  # model/code/dependency downloads
    imports: set[str] = field(default_factory=set)  # top-level modules imported
    folders: set[str] = field(default_factory=set)  # relative folder literals
    media_io: int = 0  # signs of writing fetched media to files

    @property
    def fetches(self) -> bool:
        return bool(self.collectors or self.clients)


# Beyond forums and social platforms: galleries, stock sites and image search,
# whose pages a collector walks.
@cache
def _galleries() -> re.Pattern[str]:
    return re.compile(
        r"(?:^|[/.@])(?:unsplash\.com|pexels\.com|pixabay\.com|wikiart\.org|500px\.com|"
        r"shutterstock\.com|gettyimages\.\w+|yande\.re|konachan\.\w+|zerochan\.net|"
        r"sankakucomplex\.com|rule34\.\w+|images\.google\.\w+|google\.\w+/search\?[^\s\"']*"
        r"tbm=isch|bing\.com/images|commons\.wikimedia\.org|civitai\.com/images)\b",
        re.IGNORECASE)


def platform_domains(text: str) -> set[str]:
    """Forums, social platforms, galleries and image search that ``text`` names."""
    found = {m.group(0).lstrip("/.@").lower() for m in platforms().finditer(text)}
    found |= {m.group(0).lstrip("/.@").split("/")[0].lower() for m in _galleries().finditer(text)}
    return found


# --- Python -------------------------------------------------------------------


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func) + "()")
    return ".".join(reversed(parts))


def _match_module(name: str, table: dict[str, str]) -> str | None:
    for module, label in table.items():
        if name == module or name.startswith(module + "."):
            return label
    return None


def profile_python(path: str, source: str, own: frozenset[str] = frozenset()) -> Profile:
    """Profile a Python source. ``own`` holds the bundle's own top-level
    modules: importing them is using the project's code, not a tool."""
    profile = Profile(path)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return profile  # not Python we can read: nothing is claimed about it
    strings: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            names = []
        for name in names:
            top = name.split(".")[0]
            profile.imports.add(top)
            if top in own:
                continue
            for table, bucket in ((COLLECTORS, profile.collectors),
                                  (HTTP_CLIENTS, profile.clients)):
                label = _match_module(name, table)
                if label:
                    bucket.add(label)
            parser = _match_module(name, HTML_PARSERS)
            if parser:
                profile.targets.add(f"parses HTML ({parser})")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.append(node.value)
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if _model_fetches().search(name) or name.startswith("gdown."):
                profile.downloads.add(name.rsplit(".", 1)[-1])
            if name.endswith(("write_bytes", "iter_content", "copyfileobj")) or (
                    name == "open" and any(isinstance(a, ast.Constant) and a.value in ("wb", "ab")
                                           for a in node.args)):
                profile.media_io += 1
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp,
                               ast.GeneratorExp, ast.DictComp)):
            _loop(node, profile)
    _strings(strings, profile)
    return profile


def _loop(node: ast.AST, profile: Profile) -> None:
    """Media fetched in a loop: a list of image URLs turned into files."""
    fetch = weights = False
    words = []
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            name = _dotted(inner.func)
            if _model_fetches().search(name):
                weights = True
            elif _fetch_call().search(name):
                fetch = True
        elif isinstance(inner, ast.Name):
            words.append(inner.id)
        elif isinstance(inner, ast.Attribute):
            words.append(inner.attr)
        elif isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            if _model_file().search(inner.value.strip()):
                weights = True
            words.append(inner.value)
        elif isinstance(inner, ast.arg):
            words.append(inner.arg)
    if fetch and not weights and _media_words().search(" ".join(words)):
        profile.targets.add("fetches media in a loop")


def _strings(strings: list[str], profile: Profile) -> None:
    for text in strings:
        if len(text) > 2000:
            continue
        for url in _url().findall(text):
            if _model_file().search(url) or _not_works_url().search(url):
                profile.downloads.add(url.rsplit("/", 1)[-1][:60])
        stripped = text.strip()
        # A site counts where a URL is a value the code may fetch; a link in
        # a sentence or a "share on" button is not a target.
        if stripped and not any(c.isspace() for c in stripped) and not _share().search(stripped):
            profile.platforms |= platform_domains(stripped)
        if ("/" in stripped or stripped.lower() in _OUTPUT_NAMES) and \
                _folder_literal().match(stripped) and "://" not in stripped and \
                not _model_file().search(stripped):
            profile.folders.add(stripped.strip("./").lower() if stripped != "." else "")
        if stripped.lower() in ("image/jpeg", "image/png", "content-type", "content-length") \
                or stripped.lower().startswith(("image/", "video/")):
            profile.media_io += 1


@cache
def _share() -> re.Pattern[str]:
    return re.compile(r"intent/|/share|sharer|/follow|/embed", re.IGNORECASE)


# Folder names a collection script typically writes into.
_OUTPUT_NAMES = {"data", "dataset", "images", "imgs", "downloads", "scraped", "raw", "output",
                 "out", "media", "photos", "pictures", "videos", "audio", "train"}


# --- shell and notebooks --------------------------------------------------------


def profile_shell(path: str, source: str, profile: Profile | None = None) -> Profile:
    profile = profile or Profile(path)
    for line in source.splitlines():
        line = line.split(" #", 1)[0]
        if line.lstrip().startswith("#"):
            continue
        for match in _shell_fetch().finditer(line):
            tool, args = match.group(1).lower(), match.group(2)
            urls = _url().findall(args)
            if tool in _SHELL_COLLECTORS:
                profile.collectors.add(tool)
            elif tool == "gdown":
                profile.downloads.add("gdown")
                continue
            else:
                profile.clients.add(tool)
            if any(_model_file().search(u) or _not_works_url().search(u) for u in urls):
                profile.downloads.update(u.rsplit("/", 1)[-1][:60] for u in urls)
            if tool in ("wget", "curl", "aria2c"):
                if _recursive().search(args):
                    profile.targets.add(f"crawls a site ({tool} recursive)")
                if _url_list().search(args):
                    profile.targets.add(f"fetches a list of media URLs ({tool} -i)")
            profile.platforms |= platform_domains(args)
    return profile


def profile_notebook(path: str, source: str, own: frozenset[str] = frozenset()) -> Profile:
    try:
        # Depth and size checked before parsing (LimitExceeded is a ValueError).
        cells = load_json(source, DATA_LIMITS).get("cells", [])
    except (ValueError, AttributeError):
        return Profile(path)
    python, shell = [], []
    for cell in cells:
        if not (isinstance(cell, dict) and cell.get("cell_type") == "code"):
            continue
        text = cell.get("source")
        text = "".join(text) if isinstance(text, list) else str(text or "")
        if text.lstrip().startswith(("%%bash", "%%sh", "%%shell", "%%script bash")):
            shell.append(text)
            continue
        lines = text.splitlines()
        # IPython magics and shell escapes are not Python.
        python.append("\n".join("" if ln.lstrip().startswith(("!", "%")) else ln
                                for ln in lines))
        shell.extend(ln.lstrip()[1:] for ln in lines if ln.lstrip().startswith("!"))
    profile = Profile(path)
    for chunk in python:  # cell by cell: one broken cell does not hide the rest
        part = profile_python(path, chunk, own)
        for name in ("collectors", "clients", "targets", "platforms", "downloads", "imports",
                     "folders"):
            getattr(profile, name).update(getattr(part, name))
        profile.media_io += part.media_io
    return profile_shell(path, "\n".join(shell), profile)


# --- JavaScript and TypeScript -------------------------------------------------


@cache
def _js_import() -> re.Pattern[str]:
    return re.compile(r"""(?:require\(\s*|from\s+|import\s+)['"]([@\w./-]+)['"]""")


_JS_CLIENTS = {"axios": "axios", "node-fetch": "node-fetch", "got": "got", "puppeteer": "puppeteer",
               "playwright": "playwright", "request": "request", "superagent": "superagent",
               "undici": "undici", "selenium-webdriver": "selenium"}
_JS_PARSERS = {"cheerio": "cheerio", "jsdom": "jsdom", "node-html-parser": "node-html-parser"}


@cache
def _js_string() -> re.Pattern[str]:
    return re.compile(r"""(['"`])((?:(?!\1)[^\\\n]|\\.){1,500})\1""")


def profile_js(path: str, source: str) -> Profile:
    """JavaScript by pattern: the packages it loads and the URLs it names."""
    profile = Profile(path)
    for match in _js_import().finditer(source):
        name = match.group(1)
        top = name.split("/")[0] if not name.startswith("@") else "/".join(name.split("/")[:2])
        if top in _JS_CLIENTS:
            profile.clients.add(_JS_CLIENTS[top])
        if top in _JS_PARSERS:
            profile.targets.add(f"parses HTML ({_JS_PARSERS[top]})")
    _strings([m.group(2) for m in _js_string().finditer(source)], profile)
    return profile


def profile_code(path: str, source: str, suffix: str,
                 own: frozenset[str] = frozenset()) -> Profile:
    """Profile one code file by its suffix (other languages: an empty profile)."""
    if suffix in (".py", ".pyw"):
        return profile_python(path, source, own)
    if suffix == ".ipynb":
        return profile_notebook(path, source, own)
    if suffix in (".sh", ".bash", ".zsh", ".ps1", ".bat") or suffix == "":
        return profile_shell(path, source)
    if suffix in (".js", ".mjs", ".cjs", ".ts"):
        return profile_js(path, source)
    return Profile(path)
