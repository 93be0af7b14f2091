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
raises no consent question; so is fetching archives and data files (a loop
over ``f"{BASE}/part-{i}.zip"``, its base constant filled in; a recursive
``wget -A zip,json``), a Hugging Face dataset repository, or anything from
the host the release's other scripts or README fetch its own checkpoints or
data from (tools.py).

Detected from imports, calls and string literals, in Python (through
``ast``, so a word in a comment does not count), in shell scripts, in
notebooks (Python cells, ``!`` lines and ``%%bash`` cells) and, by pattern,
in JavaScript (Puppeteer, axios, cheerio...). Nothing is run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import field
from functools import cache

from aiart_release.readers.jsonfile import load_json
from aiart_release.readers.limits import DATA_LIMITS
from aiart_release.records import dataclass

from .manifest import COLLECTORS, SHELL_COLLECTORS, platforms

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


# Archives and data shards: what a release publishes of its own data.
RELEASE_SUFFIXES = frozenset({
    "zip", "tar", "tgz", "gz", "bz2", "xz", "zst", "7z", "rar", "lz4", "jsonl", "ndjson",
    "parquet", "arrow", "feather", "npy", "tfrecord", "tfrecords", "hdf5", "lmdb"})
# Fetched whole, these are files, not pages or pictures.
DATA_SUFFIXES = RELEASE_SUFFIXES | {"json", "csv", "tsv", "txt", "msgpack"}


# URLs of things that are not third-party works: weights, code, configs,
# archives, data files and packages; a dataset repository on the Hub.
@cache
def _not_works_url() -> re.Pattern[str]:
    suffixes = "|".join(sorted(DATA_SUFFIXES | {"whl", "deb", "py", "yaml", "yml", "cfg", "sh",
                                                "patch", "diff"}))
    return re.compile(
        rf"\.(?:{suffixes})(?:[?#]\S*)?$|"
        r"/releases/download/|raw\.githubusercontent\.com/|github\.com/[^\s]+/raw/|"
        r"huggingface\.co/datasets/", re.IGNORECASE)


def is_download_url(url: str) -> bool:
    """A URL of weights, code, an archive or a data file: fetching it is a
    download of a published file, not collecting someone's works."""
    return bool(_model_file().search(url) or _not_works_url().search(url))


@cache
def _release_archive() -> re.Pattern[str]:
    return re.compile(rf"\.(?:{'|'.join(sorted(RELEASE_SUFFIXES))})(?:[?#]\S*)?$|"
                      r"huggingface\.co/datasets/", re.IGNORECASE)


def release_file(url: str) -> bool:
    """Weights, an archive or a data file: what a release publishes of its
    own (not a script, config or page), so its host is a distribution."""
    return bool(_model_file().search(url) or _release_archive().search(url))


MAX_CARD_SCAN = 1_000_000


def linked_release_hosts(texts) -> set[str]:
    """Hosts that cards link the release's weights or data files on."""
    return {url_host(u) for text in texts for u in _url().findall(text[:MAX_CARD_SCAN])
            if release_file(u.rstrip(".,;:"))} - {""}


def download_name(url: str) -> str:
    """What a download is called: the last part of its path, else its host
    (``.../resolve/main/`` is a folder of parts, not a nameless file)."""
    parts = [p for p in url.split("?", 1)[0].split("/") if p]
    return (parts[-1] if parts else url)[:60]


def url_host(url: str) -> str:
    """The host a URL names, lower case; "" where it is not known (built from
    a variable: ``$HOST``, ``{}``)."""
    match = re.match(r"[a-z][a-z0-9+.-]*://([^/\s?#]+)", url.strip(), re.IGNORECASE)
    host = match.group(1).rsplit("@", 1)[-1].split(":")[0].lower() if match else ""
    return "" if not host or any(c in host for c in "${}%") or "." not in host else host


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


@cache
def _recursive() -> re.Pattern[str]:
    return re.compile(r"(?:^|\s)(?:-r|-m|--recursive|--mirror|-[a-zA-Z]*r[a-zA-Z]*\s+-A)\b")


@cache
def _accept_list() -> re.Pattern[str]:
    return re.compile(r"(?:^|\s)(?:-A|--accept)(?:\s+|=)[\"']?([\w.,*]+)")


def _accepted(args: str) -> set[str]:
    """The suffixes a recursive wget keeps (``-A zip,json``, ``--accept=*.tar``);
    empty when it keeps everything."""
    found: set[str] = set()
    for match in _accept_list().finditer(args):
        found |= {part.strip().lstrip("*.").lower() for part in match.group(1).split(",")
                  if part.strip()}
    return found


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
    # Hosts it downloads weights or data files from: the release's own
    # distribution, when nothing says otherwise.
    download_hosts: set[str] = field(default_factory=set)
    # For each target, the hosts it fetches from ("" for one not known).
    target_hosts: dict[str, set[str]] = field(default_factory=dict)

    def target(self, reason: str, urls: list[str]) -> None:
        """Record why its fetching is of others' works, and from where."""
        self.targets.add(reason)
        # URLs read from data (none named in the code) come from hosts not known.
        self.target_hosts.setdefault(reason, set()).update(
            {url_host(u) for u in urls} if urls else {""})

    def download(self, url: str) -> None:
        self.downloads.add(download_name(url))
        if url_host(url) and release_file(url):
            self.download_hosts.add(url_host(url))

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
    constants = _string_constants(tree)
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
            _loop(node, profile, constants)
    _strings(strings, profile)
    return profile


MAX_CONSTANTS = 2000


def _string_constants(tree: ast.AST) -> dict[str, list[str]]:
    """Names bound to strings anywhere in the file (a module's ``BASE_URL``,
    a function's ``baseurl`` set before its loop), each with the values it
    is given: what a loop's ``f"{baseurl}images/part-{i}.zip"`` expands to."""
    values: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if len(values) >= MAX_CONSTANTS:
            break
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        items = value.elts if isinstance(value, (ast.List, ast.Tuple, ast.Set)) else [value]
        rendered = [text for item in items[:100] if (text := _render(item, values))]
        if rendered:
            values.setdefault(target.id, []).extend(rendered)
    return values


def _render(node: ast.AST, constants: dict[str, list[str]]) -> str | None:
    """The string an expression builds, with the names it uses filled in
    where they hold one known string and ``{}`` where not; None when it
    builds no string at all."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        known = constants.get(node.id, [])
        return known[0] if len(set(known)) == 1 else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            text = _render(inner, constants) if isinstance(inner, (ast.Constant, ast.Name)) \
                else None
            parts.append("{}" if text is None else text)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _render(node.left, constants), _render(node.right, constants)
        if left is None and right is None:
            return None
        return (left or "{}") + (right or "{}")
    return None


def _loop(node: ast.AST, profile: Profile, constants: dict[str, list[str]]) -> None:
    """Media fetched in a loop: a list of image URLs turned into files. A
    loop whose every URL (its base constants filled in) is an archive, a
    data file or weights downloads published files instead."""
    fetch = weights = False
    words: list[str] = []
    urls: list[str] = []
    inside: set[int] = set()  # parts of a string already rendered whole
    for inner in ast.walk(node):
        if id(inner) in inside:
            continue
        if isinstance(inner, ast.Call):
            name = _dotted(inner.func)
            if _model_fetches().search(name):
                weights = True
            elif _fetch_call().search(name):
                fetch = True
        elif isinstance(inner, (ast.JoinedStr, ast.BinOp)) and \
                (text := _render(inner, constants)) is not None and "://" in text:
            urls.append(text.strip())
            inside.update(id(part) for part in ast.walk(inner))
        elif isinstance(inner, ast.Name):
            words.append(inner.id)
            urls.extend(v.strip() for v in constants.get(inner.id, ()) if "://" in v)
        elif isinstance(inner, ast.Attribute):
            words.append(inner.attr)
        elif isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            if "://" in inner.value:
                urls.append(inner.value.strip())
            else:
                weights = weights or bool(_model_file().search(inner.value.strip()))
                words.append(inner.value)
        elif isinstance(inner, ast.arg):
            words.append(inner.arg)
    published = [u for u in urls if is_download_url(u)]
    others = [u for u in urls if not is_download_url(u)]
    for url in published:
        profile.download(url)
    if published and not others:
        return  # every file it fetches is a published archive, data file or weights
    if fetch and not weights and _media_words().search(" ".join(words + others)):
        profile.target("fetches media in a loop", others)


def _strings(strings: list[str], profile: Profile) -> None:
    for text in strings:
        if len(text) > 2000:
            continue
        for url in _url().findall(text):
            if is_download_url(url):
                profile.download(url)
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
            if tool in SHELL_COLLECTORS:
                profile.collectors.add(tool)
            elif tool == "gdown":
                profile.downloads.add("gdown")
                continue
            else:
                profile.clients.add(tool)
            if any(is_download_url(u) for u in urls):
                for url in urls:
                    profile.download(url)
            if tool in ("wget", "curl", "aria2c"):
                if _recursive().search(args):
                    accepted = _accepted(args)
                    if accepted and accepted <= DATA_SUFFIXES:
                        # `wget -r -A zip,json`: the archives and data files
                        # a folder publishes, not a site's pages and pictures.
                        profile.downloads.update(download_name(u) for u in urls)
                    else:
                        profile.target(f"crawls a site ({tool} recursive)", urls)
                if _url_list().search(args):
                    profile.target(f"fetches a list of media URLs ({tool} -i)", [])
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
                     "folders", "download_hosts"):
            getattr(profile, name).update(getattr(part, name))
        for reason, hosts in part.target_hosts.items():
            profile.target_hosts.setdefault(reason, set()).update(hosts)
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
