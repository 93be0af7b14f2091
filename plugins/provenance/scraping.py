"""Code that downloads from websites: the data it produced was collected,
not made, and the provenance and consent questions apply to it.

Detected from imports and calls, in Python (through ``ast``, so a word in a
comment does not count) and in shell scripts and notebooks (by pattern).
"""

from __future__ import annotations

import ast
import json
import re

# Python modules whose use means fetching from the web.
PYTHON_MODULES = {
    "requests": "requests", "urllib.request": "urllib", "urllib3": "urllib3",
    "httpx": "httpx", "aiohttp": "aiohttp", "bs4": "BeautifulSoup",
    "BeautifulSoup": "BeautifulSoup",
    "selenium": "selenium", "playwright": "playwright", "scrapy": "scrapy",
    "img2dataset": "img2dataset", "gallery_dl": "gallery-dl", "yt_dlp": "yt-dlp",
    "youtube_dl": "youtube-dl", "instaloader": "instaloader", "praw": "praw (Reddit)",
    "tweepy": "tweepy (Twitter/X)", "snscrape": "snscrape", "pixivpy3": "pixivpy",
    "pybooru": "pybooru (Danbooru)", "mechanicalsoup": "MechanicalSoup", "pycurl": "pycurl",
    "wget": "wget", "icrawler": "icrawler", "bing_image_downloader": "bing-image-downloader",
    "google_images_download": "google-images-download", "clip_retrieval": "clip-retrieval",
}
_SHELL = re.compile(
    r"^\s*(?:[^#\n]*\b)(wget|curl|gallery-dl|yt-dlp|youtube-dl|img2dataset|aria2c)\s+[^\n]*"
    r"(?:https?://|\$\{?\w*url)", re.IGNORECASE | re.MULTILINE)


def python_scrapers(source: str) -> list[str]:
    """Web-fetching libraries a Python source imports."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            for module, label in PYTHON_MODULES.items():
                if name == module or name.startswith(module + "."):
                    found.add(label)
    return sorted(found)


def shell_scrapers(source: str) -> list[str]:
    return sorted({m.group(1).lower() for m in _SHELL.finditer(source)})


def notebook_scrapers(source: str) -> list[str]:
    try:
        cells = json.loads(source).get("cells", [])
    except (ValueError, AttributeError):
        return []
    found: set[str] = set()
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            text = cell.get("source")
            text = "".join(text) if isinstance(text, list) else str(text or "")
            # IPython magics and shell escapes are not Python.
            python = "\n".join(ln for ln in text.splitlines()
                               if not ln.lstrip().startswith(("!", "%")))
            found.update(python_scrapers(python))
            found.update(shell_scrapers("\n".join(ln.lstrip("!") for ln in text.splitlines()
                                                  if ln.lstrip().startswith("!"))))
    return sorted(found)


def scrapers(source: str, suffix: str) -> list[str]:
    if suffix in (".py", ".pyw"):
        return python_scrapers(source)
    if suffix == ".ipynb":
        return notebook_scrapers(source)
    if suffix in (".sh", ".bash", ".zsh", ".ps1", ".bat") or suffix == "":
        return shell_scrapers(source)
    return []
