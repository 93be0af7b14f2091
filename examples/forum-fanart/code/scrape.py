"""Collects fan art from forum threads into data/images with sources.csv."""

import csv
import sys
from pathlib import Path

import requests
from bs4 import BeautifulSoup

THREADS = ["https://forum.example.org/t/fanart-friday/1234"]


def images(thread_url):
    page = BeautifulSoup(requests.get(thread_url, timeout=30).text, "html.parser")
    for img in page.select("article img"):
        yield img["src"], img.get("data-author", "")


def main(out="data"):
    out = Path(out)
    with open(out / "sources.csv", "a", newline="") as handle:
        writer = csv.writer(handle)
        for url in THREADS:
            for src, author in images(url):
                name = src.rsplit("/", 1)[-1]
                (out / "images" / name).write_bytes(requests.get(src, timeout=30).content)
                writer.writerow([f"images/{name}", author, url, "", "unknown"])


if __name__ == "__main__":
    main(*sys.argv[1:])
