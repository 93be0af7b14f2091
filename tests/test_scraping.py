"""Scraping told apart from downloading (plugins/provenance/scraping.py), one
finding per tool (tools.py), and consent findings placed on the data they
are about (aiart_release/placement.py). Small synthetic bundles, run through the CLI."""

from __future__ import annotations

import json
import time

import pytest
from conftest import make_bundle

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def _notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c.splitlines(True)}
                                 for c in cells]})


def _found(report, finding_id):
    return [f for f in report["findings"] if f["id"] == finding_id]


SCRAPERS = [
    ("soup.py", "import requests\nfrom bs4 import BeautifulSoup\n"
                "page = requests.get('https://forum.example.org/t/1').text\n"
                "for img in BeautifulSoup(page, 'html.parser').find_all('img'):\n"
                "    print(img['src'])\n"),
    ("tags.py", "import requests\n"
                "r = requests.get('https://www.deviantart.com/tag/fanart')\n"),
    ("urls.py", "import requests\n"
                "for i, image_url in enumerate(open('urls.txt')):\n"
                "    open(f'out/{i}.jpg', 'wb').write(requests.get(image_url).content)\n"),
    ("pull.py", "from img2dataset import download\ndownload(url_list='urls.parquet')\n"),
    ("reddit.py", "import praw\nreddit = praw.Reddit(client_id='x')\n"),
    ("mirror.sh", "#!/bin/sh\nwget -r -A jpg,png https://gallery.example.org/\n"),
    ("grab.sh", "#!/bin/sh\ngallery-dl --range 1-500 \"$ARTIST_URL\"\n"),
    ("list.sh", "#!/bin/sh\naria2c -i image_urls.txt -d data/raw\n"),
    ("explore.ipynb", _notebook("!gallery-dl https://www.pixiv.net/users/1\n")),
    ("bash.ipynb", _notebook("%%bash\nwget --mirror https://art.example.org/\n")),
    ("pins.js", "const puppeteer = require('puppeteer');\n"
                "await page.goto('https://www.pinterest.com/search/pins/?q=fanart');\n"),
    # A base URL set outside the loop, filled in: pictures of someone's site.
    ("base.py", "import requests\nBASE = 'https://gallery.example.org/art/'\n"
                "def grab(ids):\n    for i in ids:\n"
                "        data = requests.get(f'{BASE}{i}.jpg').content\n"
                "        open(f'out/{i}.jpg', 'wb').write(data)\n"),
    # A recursive wget that keeps pages and pictures of someone else's site.
    ("pages.sh", "#!/bin/sh\nwget -r --no-parent -A html,jpg https://forum.example.org/art/\n"),
    ("plain.sh", "#!/bin/sh\nwget -r --no-parent https://forum.example.org/art/\n"),
]
DOWNLOADS = [
    # The project's own weights, code and dependencies.
    ("get.sh", "#!/bin/sh\nwget https://example.org/releases/v1/harbour.ckpt\n"
               "curl -L -o vae.safetensors https://huggingface.co/x/y/resolve/main/vae.safetensors\n"),
    ("deps.sh", "#!/bin/sh\nwget -q -i https://raw.githubusercontent.com/me/p/main/deps.txt\n"
                "wget https://github.com/me/p/releases/download/v1/tool.tar.gz\n"),
    ("setup.ipynb", _notebook(
        "!wget -q https://huggingface.co/a/b/resolve/main/model.safetensors -O model.safetensors\n"
        "!gdown --fuzzy $MODEL_LINK -O model.ckpt\n",
        "import wget\nwget.download('https://raw.githubusercontent.com/me/p/main/util.py')\n")),
    ("hub.py", "from huggingface_hub import hf_hub_download\n"
               "path = hf_hub_download(repo_id='me/harbour', filename='unet.safetensors')\n"),
    ("load.py", "import torch\nsd = torch.hub.load_state_dict_from_url("
                "'https://example.org/weights/lin.pth')\n"),
    ("gd.py", "import gdown\ngdown.download(id='1AbC', output='ckpt.pth')\n"),
    ("ckpts.py", "import urllib.request\n"
                 "for name in ['a.pth', 'b.pth']:\n"
                 "    urllib.request.urlretrieve('https://example.org/w/' + name, name)\n"),
    # Fetching, but of nothing that is someone's work.
    ("api.py", "import requests\nr = requests.get('https://api.example.org/status').json()\n"),
    ("client.py", "import urllib.request\n"),
    ("local.py", "from bs4 import BeautifulSoup\n"
                 "doc = BeautifulSoup(open('docs/index.html').read(), 'html.parser')\n"),
    ("cache.py", "cache = {}\nfor image in images:\n    cache.get(image)\n"),
    # An app that calls an API and links to its authors' profiles.
    ("app.py", "import requests\nr = requests.post('https://api.example.org/v1/generate')\n"
               "FOOTER = 'Made by us, follow https://twitter.com/harbour for news'\n"
               "SHARE = 'https://twitter.com/intent/tweet?text=made+with+harbour'\n"),
    ("note.py", "# we used to use requests here\nx = 'import requests'\n"),
    ("page.js", "import axios from 'axios';\nconst r = await axios.get('/api/results.json');\n"
                "const share = 'https://twitter.com/intent/tweet?text=harbour';\n"),
    ("train.py", "import torch\nfrom pathlib import Path\n"),
    # The project's own published parts: a base URL set before the loop, filled
    # in, names archives in its Hugging Face dataset repository.
    ("parts.py", "from urllib.request import urlretrieve\n"
                 "def download(first, last, large=False):\n"
                 "    baseurl = 'https://huggingface.co/datasets/me/harbour/resolve/main/'\n"
                 "    for idx in range(first, last):\n"
                 "        url = f'{baseurl}images/part-{idx:06}.zip'\n"
                 "        urlretrieve(url, f'images/part-{idx:06}.zip')\n"),
    ("shards.py", "import requests\nROOT = 'https://data.example.org/harbour'\n"
                  "for i in range(8):\n"
                  "    open(f'photos/{i}.parquet', 'wb').write("
                  "requests.get(ROOT + f'/photos-{i}.parquet').content)\n"),
    # A recursive wget that keeps only archives and data files.
    ("data.sh", "#!/bin/sh\nwget -A zip,json -R 'index.html*' -r --no-parent "
                "http://files.example.edu/$1/ -nd -P data/$1/\n"),
]


@pytest.mark.parametrize("name, code", SCRAPERS, ids=[n for n, _ in SCRAPERS])
def test_code_that_collects_works_is_scraping(cli, tmp_path, name, code):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", f"code/{name}": code})
    [finding] = _found(cli("assess", bundle, "-f", "json").json(), "provenance.scraping-code")
    assert finding["location"]["path"] == f"code/{name}"


@pytest.mark.parametrize("name, code", DOWNLOADS, ids=[n for n, _ in DOWNLOADS])
def test_downloading_weights_code_or_dependencies_is_not_scraping(cli, tmp_path, name, code):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", f"code/{name}": code,
                                          "data/images/a.png": PNG})
    report = cli("assess", bundle, "-f", "json").json()
    assert _found(report, "provenance.scraping-code") == []
    assert _found(report, "consent.scraped-without-permission") == []


def _scraper_package(scripts: int = 13) -> dict[str, str]:
    """A collection tool as a package: a downloader module that fetches,
    site modules that name the sites, and scripts and tests that import it."""
    files = {
        "LICENSE": "MIT\n",
        "harvest/__init__.py": "from . import net\n",
        "harvest/net.py": "import mimetypes\nimport requests\n"
                          "from requests.exceptions import HTTPError\n\n"
                          "def save(session, url, path):\n"
                          "    r = session.get(url, stream=True)\n"
                          "    with open(path, 'wb') as out:\n"
                          "        for chunk in r.iter_content(65536):\n"
                          "            out.write(chunk)\n"
                          "    return r.headers.get('Content-Type', 'image/jpeg')\n",
        "harvest/common.py": "import requests\n\nSESSION = requests.Session()\n",
        "harvest/sites/__init__.py": "",
        "harvest/sites/pix.py": "ROOT = 'https://www.pixiv.net/en/users/'\n",
        "harvest/sites/art.py": "ROOT = 'https://www.artstation.com/'\n",
        "harvest/sites/dev.py": "ROOT = 'https://www.deviantart.com/'\n",
    }
    for i in range(scripts):
        files[f"scripts/tool_{i}.py"] = "import harvest\nfrom harvest import net\n"
    return files


def test_a_package_is_one_tool_reported_on_its_downloader(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", _scraper_package())
    [finding] = _found(cli("assess", bundle, "-f", "json").json(), "provenance.scraping-code")
    assert finding["location"]["path"] == "harvest/net.py"
    assert "package `harvest`" in finding["message"]
    assert "pixiv.net" in finding["message"]


def test_two_tools_are_two_findings(cli, tmp_path):
    files = _scraper_package(scripts=2)
    files["tools/grab.sh"] = "#!/bin/sh\ngallery-dl https://www.tumblr.com/someone\n"
    bundle = make_bundle(tmp_path / "b", files)
    found = _found(cli("assess", bundle, "-f", "json").json(), "provenance.scraping-code")
    assert sorted(f["location"]["path"] for f in found) == ["harvest/net.py", "tools/grab.sh"]


def test_a_share_link_in_one_module_does_not_make_a_package_a_scraper(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "app/__init__.py": "",
        "app/telemetry.py": "import requests\nrequests.post('https://api.example.org/ping')\n",
        "app/about.py": "SHARE = 'https://twitter.com/intent/tweet?text=made+with+app'\n",
    })
    assert _found(cli("assess", bundle, "-f", "json").json(), "provenance.scraping-code") == []


SCRAPER = ("import requests\nfrom bs4 import BeautifulSoup\nOUT = 'data/collected'\n"
           "html = requests.get('https://forum.example.org/t/1').text\n"
           "page = BeautifulSoup(html, 'html.parser')\n")


def test_consent_findings_land_on_the_folder_the_scraper_fills(cli, tmp_path):
    files = {"LICENSE": "MIT\n", "code/collect.py": SCRAPER,
             # More images elsewhere: renders the model made, not collected data.
             **{f"data/renders/{i}.png": PNG + bytes([i]) for i in range(6)},
             **{f"data/collected/{i}.png": PNG + bytes([i]) for i in range(3)}}
    report = cli("assess", make_bundle(tmp_path / "b", files), "-f", "json").json()
    for finding_id in ("consent.scraped-without-permission", "provenance.manifest-missing",
                       "consent.no-opt-out"):
        [finding] = _found(report, finding_id)
        assert finding["location"]["path"] == "data/collected/", finding_id


def test_provenance_findings_land_on_the_folder_the_card_describes(cli, tmp_path):
    files = {"LICENSE": "MIT\n",
             "README.md": "# Harbour Lights Dataset\n\nThe dataset consists of 3 photographs "
                          "in `harbours/`. The photographs were taken by friends.\n",
             **{f"extra/{i}.png": PNG + bytes([i]) for i in range(6)},
             **{f"harbours/{i}.png": PNG + bytes([i]) for i in range(3)}}
    report = cli("assess", make_bundle(tmp_path / "b", files), "-f", "json").json()
    [missing] = _found(report, "provenance.manifest-missing")
    assert missing["location"]["path"] == "harbours/"
    # The card says where the photographs come from: a weaker finding.
    assert missing["severity"] == "low"


def test_a_scraping_tool_with_no_data_raises_no_dataset_finding(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", _scraper_package(scripts=1))
    report = cli("assess", bundle, "-f", "json").json()
    ids = {f["id"] for f in report["findings"]}
    assert "provenance.scraping-code" in ids
    assert not ids & {"provenance.manifest-missing", "consent.no-opt-out",
                      "consent.scraped-without-permission"}


def test_a_code_repository_with_no_dataset_needs_no_manifest(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "README.md": "# Harbour\n\nA diffusion trainer.\n",
        "harbour/__init__.py": "", "harbour/train.py": "import torch\n",
        "get_weights.sh": "#!/bin/sh\nwget https://example.org/w/harbour.safetensors\n"})
    ids = {f["id"] for f in cli("assess", bundle, "-f", "json").json()["findings"]}
    assert not {i for i in ids if i.startswith(("provenance.", "consent."))}


def test_a_card_that_says_the_data_was_harvested_needs_an_opt_out(cli, tmp_path):
    card = ("# Street Captions Dataset\n\nThe dataset contains 2 million image-caption pairs "
            "harvested from the web.\n\n## License\n\nThe captions are released under CC BY.\n")
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "README.md": card})
    [finding] = _found(cli("assess", bundle, "-f", "json").json(), "consent.no-opt-out")
    assert finding["location"]["path"] == "README.md"
    with_route = make_bundle(tmp_path / "c", {
        "LICENSE": "MIT\n",
        "README.md": card + "\n## Removal\n\nIf you'd like your image taken down, email us.\n"})
    assert _found(cli("assess", with_route, "-f", "json").json(), "consent.no-opt-out") == []


@pytest.mark.parametrize("files, severity", [
    # Pictures in a code repository that nothing calls data: at most low.
    ({"app/__init__.py": "", **{f"inputs_demo/{i}.png": PNG + bytes([i]) for i in range(4)}},
     {None, "low"}),
    # A folder named as the data, or captions beside the images: a dataset.
    ({**{f"data/{i}.png": PNG + bytes([i]) for i in range(4)}}, {"medium"}),
    ({**{f"set_a/{i}.png": PNG + bytes([i]) for i in range(4)},
      **{f"set_a/{i}.txt": "a harbour at night\n" for i in range(4)}}, {"medium"}),
])
def test_a_missing_manifest_weighs_what_says_the_pictures_are_data(cli, tmp_path, files,
                                                                     severity):
    report = cli("assess", make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", **files}),
                 "-f", "json").json()
    found = _found(report, "provenance.manifest-missing")
    assert (found[0]["severity"] if found else None) in severity


def test_bad_code_is_read_without_a_crash(cli, tmp_path):
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\nimport requests\n"
    big = _notebook("!gallery-dl https://www.pixiv.net/users/1\n")
    big = big[:-1] + ', "metadata": {"pad": "' + "A" * (6 * 1024 * 1024) + '"}}'
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "code/deep.py": deep, "code/broken.ipynb": "{not json",
        "code/bin.py": b"\xff\xfe\x00\x01" * 100, "code/outputs.ipynb": big})
    result = cli("assess", bundle, "-f", "json")
    assert result.code in (0, 1) and "Traceback" not in result.err
    report = result.json()
    assert "plugin.check-failed" not in {f["id"] for f in report["findings"]}
    # A notebook over the code size cap (outputs inline) is still read.
    [found] = _found(report, "provenance.scraping-code")
    assert found["location"]["path"] == "code/outputs.ipynb"


def test_a_loop_over_published_parts_records_their_names(tmp_path):
    from aiart_release.default_plugins.provenance.scraping import profile_python

    [source] = [code for name, code in DOWNLOADS if name == "parts.py"]
    profile = profile_python("parts.py", source)
    assert not profile.targets
    assert "part-{}.zip" in profile.downloads and "" not in profile.downloads
    assert profile.download_hosts == {"huggingface.co"}


OWN_HOST = "http://files.example.edu"


@pytest.mark.parametrize("files, scraping", [
    # The host another script downloads the release's checkpoint from: its own.
    ({"scripts/get_ckpt.sh": f"#!/bin/sh\ncurl {OWN_HOST}/harbour-22000.ckpt -o h.ckpt\n",
      "scripts/get_data.sh": f"#!/bin/sh\nwget -r --no-parent {OWN_HOST}/$1/\n"}, False),
    # The README links the release's data on that host.
    ({"README.md": f"# Harbour\n\nDownload [the data]({OWN_HOST}/harbour-data.tar.gz).\n",
      "scripts/get_data.sh": f"#!/bin/sh\nwget -r --no-parent {OWN_HOST}/$1/\n"}, False),
    # A checkpoint from one host does not make another site the release's own.
    ({"scripts/get_ckpt.sh": f"#!/bin/sh\ncurl {OWN_HOST}/harbour-22000.ckpt -o h.ckpt\n",
      "scripts/get_data.sh": "#!/bin/sh\nwget -r --no-parent https://forum.example.org/\n"},
     True),
    # One script that downloads a file from a site and crawls it: no other
    # part of the release names that site as its own.
    ({"scripts/get.sh": "#!/bin/sh\nwget https://forum.example.org/index.tar.gz\n"
                        "wget -r --no-parent https://forum.example.org/\n"}, True),
    # A platform is never the release's own distribution.
    ({"scripts/get_ckpt.sh": "#!/bin/sh\ncurl https://www.deviantart.com/x/h.ckpt -o h.ckpt\n",
      "scripts/get_data.sh": "#!/bin/sh\nwget -r --no-parent https://www.deviantart.com/x/\n"},
     True),
])
def test_crawling_the_release_s_own_host_is_a_download(cli, tmp_path, files, scraping):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", **files})
    found = _found(cli("assess", bundle, "-f", "json").json(), "provenance.scraping-code")
    assert bool(found) == scraping


def test_a_crawler_beside_pictures_it_does_not_fill_is_not_their_origin(cli, tmp_path):
    # A crawler and pictures in a data folder it does not name: nothing says
    # these pictures are what it collected.
    files = {"LICENSE": "MIT\n",
             "scripts/get.sh": "#!/bin/sh\nwget -r --no-parent https://forum.example.org/\n",
             **{f"data/{i}.png": PNG + bytes([i]) for i in range(4)}}
    report = cli("assess", make_bundle(tmp_path / "b", files), "-f", "json").json()
    assert _found(report, "provenance.scraping-code")
    for finding_id in ("consent.scraped-without-permission", "consent.no-opt-out"):
        assert _found(report, finding_id) == [], finding_id
    [missing] = _found(report, "provenance.manifest-missing")
    assert missing["severity"] != "high" and "nothing ties it" in missing["message"]


CARD = ("# Prompt Gallery Dataset\n\nThe dataset contains 2,000 generated images and their "
        "prompts.\n\n## License\n\nThe images are released under CC0.\n\n## Collection\n\n")


@pytest.mark.parametrize("said, platform", [
    ("We built it by scraping user-generated prompts and images on the Harbour Diffusion "
     "Discord server.", "Discord"),
    ("All images were collected from Flickr and reddit.com by the authors.", "Flickr"),
    ("The data was gathered using [DiscordChatExporter](https://github.com/x/y), which "
     "collected the messages of each channel.", "Discord"),
])
def test_a_card_that_says_the_data_was_taken_from_a_platform(cli, tmp_path, said, platform):
    card = CARD + said + "\n"
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "README.md": card})
    report = cli("assess", bundle, "-f", "json").json()
    [finding] = _found(report, "consent.scraped-without-permission")
    assert finding["severity"] == "high"
    assert finding["location"] == {"path": "README.md", "line": CARD.count("\n") + 1}
    assert platform in finding["message"] and said.split()[1] in finding["evidence"]
    assert _found(report, "consent.no-opt-out")
    assert "misuse.source-community-harassment" in {s["id"] for s in report["scenarios"]}
    # A removal route answers the opt-out and part of the consent question.
    with_route = make_bundle(tmp_path / "c", {
        "LICENSE": "MIT\n",
        "README.md": card + "\n## Removal\n\nIf you'd like your image removed, use this form.\n"})
    report = cli("assess", with_route, "-f", "json").json()
    [finding] = _found(report, "consent.scraped-without-permission")
    assert finding["severity"] == "medium"
    assert _found(report, "consent.no-opt-out") == []


@pytest.mark.parametrize("said", [
    "Photos were collected from Flickr, each under a Creative Commons licence.",
    "The model was downloaded from the web page of the authors.",
    "Follow us on Twitter and join the Discord server.",
    "We collected feedback from our users.",
])
def test_what_is_not_a_platform_harvest_without_permission(cli, tmp_path, said):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "README.md": CARD + said + "\n"})
    report = cli("assess", bundle, "-f", "json").json()
    assert _found(report, "consent.scraped-without-permission") == []


def test_a_wall_of_harvest_words_is_read_in_bounded_time():
    from aiart_release.default_plugins.provenance.evidence import harvest_statements

    class Card:
        path = "README.md"
        text = ("collected from the " * 60000)[:1_000_000]

    started = time.monotonic()
    assert harvest_statements([Card()]) == []
    # It took half a minute when each verb's "from" was searched by backtracking.
    assert time.monotonic() - started < 10


def test_the_finding_quotes_the_plainest_statement_of_taking(cli, tmp_path):
    card = CARD + ("Prompts are extracted as is from the Discord chat log.\n\n"
                   "We scraped the images on the Harbour Discord server.\n")
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "README.md": card})
    [finding] = _found(cli("assess", bundle, "-f", "json").json(),
                       "consent.scraped-without-permission")
    assert finding["location"]["line"] == CARD.count("\n") + 3
    assert "scraped the images" in finding["evidence"]
