"""The personal-data check: what it flags and what it leaves alone, how it
reports, and what the policy makes of it. Tables of (text, expected) in the
style of detect-secrets' detector tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, TESTS, TOOL, finding_ids, make_bundle

from aiart_release.plugins import build_registry

PORTRAITS = EXAMPLES / "portrait-sessions"


@pytest.fixture(scope="module")
def analyze():
    """One analyzer for the module (loading spaCy takes seconds); returns a
    function giving the finding ids and severities of one record."""
    from aiart_release.default_plugins.personal_data.check import _analyzer, classify_record

    factories = tuple(f for _, f in build_registry().recognizer_factories)
    analyzer = _analyzer({}, factories)

    def run(text: str, field: str = "caption", context: str = "caption") -> dict[str, str]:
        (hits,) = analyzer.analyze([(text, field)])
        decisions = classify_record([(field, None)], [hits], [context], [text])
        out: dict[str, str] = {}
        for d in decisions:
            if d.finding_id not in out or d.severity.rank > _rank(out[d.finding_id]):
                out[d.finding_id] = d.severity.value
        return out

    return run


def _rank(severity: str) -> int:
    return ["info", "low", "medium", "high", "critical"].index(severity)


@pytest.mark.parametrize("text, finding_id", [
    ("booked via maria.gonzalez@postbox-mail.org", "pii.email-address"),
    ("call 415-555-0199 to reschedule", "pii.phone-number"),
    ("Call +44 20 7946 0958", "pii.phone-number"),
    ("portrait of Maria Gonzalez in the studio", "pii.person-name"),
    ("Contact: Kwame Asante <kwame@asante-prints.com>", "pii.person-name"),
    ("trending on artstation, by greg rutkowski, 8k", "pii.person-name"),
    ("Still life with skull, inspired by Caravaggio", "pii.person-name"),
    ("lives at 221B Baker Street, London", "pii.street-address"),
    ("Ship prints to 12 Rue de Rivoli, 75001 Paris", "pii.street-address"),
    ("GPSLatitude: 48.8584 N; GPSLongitude: 2.2945 E", "pii.gps-coordinates"),
    ("follow her @aisha.paints", "pii.social-handle"),
    ("portfolio: https://www.artstation.com/kitpaints", "pii.social-handle"),
    ("posted by u/kit_painter", "pii.social-handle"),
    ("upload from 203.0.113.42", "pii.ip-address"),
    ("paid with 4111 1111 1111 1111", "pii.credit-card"),
    ("IBAN DE89 3704 0044 0532 0130 00", "pii.iban"),
    ("Julien Moreau, born 14 March 1990", "pii.birth-date"),
    ("Ngozi Eze, aged 34, in her studio", "pii.age"),
    ("Kenji Watanabe, who lives in Paris, sent sketches", "pii.location"),
])
def test_flags(analyze, text, finding_id):
    assert finding_id in analyze(text)


@pytest.mark.parametrize("text", [
    "Catholic iconography, gilded altarpiece",
    "Baroque altarpiece with cherubs",
    "nude study in charcoal",
    "portrait of a woman in a red scarf",
    "Madonna and Child, tempera on panel",
    "Venus rising from the sea, oil on canvas",
    "sunset over Venice, gondolas",
    "painted in 1889, oil on canvas",
    "summer 2021 sketchbook",
    "3 overlapping circles in warm tones",
    "Islamic geometric tiling, blue and white",
    "Soviet propaganda poster style, bold red",
    "black and white photo of a pier",
    "Children's book illustration of a bear",
    "masterpiece, best quality, 1girl, solo, long silver hair",
    "images/0001234.png",
    "Sampler: Euler a, Steps: 30, CFG scale: 7",
    "Fine-tunes a small LoRA on the ink-wash studies",
])
def test_leaves_art_vocabulary_alone(analyze, text):
    assert analyze(text) == {}


def test_a_us_phone_number_is_not_an_nhs_number(analyze):
    # Presidio's defaults report 415-555-0199 as UK_NHS with score 1.0.
    assert analyze("call 415-555-0199") == {"pii.phone-number": "high"}


@pytest.mark.parametrize("text, trait", [
    ("Maria Gonzalez, diagnosed with HIV in 2019", "sensitive.health"),
    ("John Smith is a member of the Communist Party", "sensitive.political-opinion"),
    ("portrait of my neighbour Aisha Khan, who is Muslim", "sensitive.religion"),
    ("Lucas Martin came out as bisexual last year", "sensitive.sex-life"),
    ("union rep Dave Smith at the Unite rally", "sensitive.trade-union"),
    ("Priya Sharma shared her DNA test results", "sensitive.genetic"),
    ("fingerprint scan of Marco Rossi", "sensitive.biometric"),
    ("Mehmet Kaya, who is Kurdish, in traditional dress", "sensitive.ethnic-origin"),
    ("Yara Haddad, a 15-year-old painter", "sensitive.minors"),
])
def test_a_trait_tied_to_a_named_person_is_critical(analyze, text, trait):
    found = analyze(text)
    assert found.get(trait) == "critical", found
    assert "pii.person-name" in found


@pytest.mark.parametrize("text, trait, severity", [
    ("a patient in a hospital bed", "sensitive.health", "medium"),
    ("she is diabetic and paints every morning", "sensitive.health", "medium"),
    ("protest crowd with union banners", "sensitive.trade-union", "low"),
    ("pride parade, crowd, rainbow flags", "sensitive.sex-life", "low"),
])
def test_a_trait_with_no_person_is_medium_or_lower(analyze, text, trait, severity):
    found = analyze(text)
    assert found.get(trait) == severity, found
    assert not any(s == "critical" for s in found.values())


def test_a_name_in_one_column_and_a_trait_in_another_make_a_critical_row(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "data/sitters.csv": "sitter,notes\nTomasz Nowak,diagnosed with diabetes last year\n"
                            "Ana Silva,prefers morning sessions\n,diagnosed with asthma\n",
    })
    report = cli("assess", bundle, "-f", "json").json()
    health = [f for f in report["findings"] if f["id"] == "sensitive.health"]
    assert len(health) == 1
    # Row 1 names Tomasz; row 3 names nobody: the finding is critical because
    # of row 1, and lists both rows.
    assert health[0]["severity"] == "critical"
    assert health[0]["location"]["rows"] == [1, 3]
    assert health[0]["location"]["field"] == "notes"


def test_the_portrait_example_is_closed_with_a_short_justified_retention(cli):
    result = cli("assess", PORTRAITS, "-f", "json")
    assert result.code == 1  # declared open
    report = result.json()
    ids = finding_ids(report)
    for expected in ("pii.person-name", "pii.email-address", "pii.phone-number",
                     "pii.street-address", "pii.social-handle", "sensitive.health",
                     "sensitive.political-opinion"):
        assert expected in ids
    health = next(f for f in report["findings"] if f["id"] == "sensitive.health")
    assert health["severity"] == "critical"
    assert health["location"] == {"path": "data/captions.csv", "row": 3, "field": "notes"}
    # One finding per id per file (the engine merges the columns): the
    # message names the column with the most names first.
    names = next(f for f in report["findings"]
                 if f["id"] == "pii.person-name" and f["location"]["path"] == "data/captions.csv")
    assert names["context"] == "caption"
    # The column summary: how much of the column is personal data.
    assert "in column `sitter`" in names["message"] and "of 8 rows" in names["message"]
    # Occurrences over the merged columns; rows once each.
    assert names["count"] >= len(names["location"]["rows"]) >= 5
    dataset = report["recommendation"]["artifacts"]["dataset"]
    assert dataset["tier"] == "closed"
    assert dataset["retention"] == "P90D"
    assert "Art. 5(1)(e)" in dataset["retention_reason"]
    assert any("GDPR Art. 9" in r for r in dataset["reasons"])
    assert any("consent" in step for step in dataset["to_lower"])


def _cache_text(cache: Path) -> str:
    """The bytes of every file of the cache (the SQLite database among them)
    as text, to be searched for raw values."""
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in cache.rglob("*")
                   if p.is_file() and "derived" not in p.parts)


def test_raw_personal_data_reaches_no_output_unless_show_pii(cli, tmp_path, monkeypatch):
    raw = ["maria.gonzalez@postbox-mail.org", "415-555-0199", "Maria Gonzalez", "@aisha.paints",
           "221B Baker Street"]
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    terminal = cli("assess", PORTRAITS)
    json_out = cli("assess", PORTRAITS, "-f", "json")
    report_file = tmp_path / "report.json"
    cli("assess", PORTRAITS, "-f", "json", "-o", report_file, "--debug")
    stored = _cache_text(cache)
    assert "pii.email-address" in stored  # the cache was written
    for value in raw:
        for text in (terminal.out, terminal.err, json_out.out, json_out.err,
                     report_file.read_text(), stored):
            assert value not in text, value
    shown = cli("assess", PORTRAITS, "-f", "json", "--show-pii")
    assert "maria.gonzalez@postbox-mail.org" in shown.out
    assert "maria.gonzalez@postbox-mail.org" not in _cache_text(cache)


def test_thousands_of_hits_are_one_finding_with_every_row(cli, tmp_path):
    rows = "\n".join(f"images/{i:05d}.png,commission for user{i}@postbox-mail.org"
                     for i in range(1, 2501))
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n",
                                          "data/captions.csv": "file_name,caption\n" + rows})
    terminal = cli("assess", bundle)
    report = cli("assess", bundle, "-f", "json").json()
    (emails,) = [f for f in report["findings"] if f["id"] == "pii.email-address"]
    assert emails["count"] == 2500
    assert emails["location"]["rows"] == list(range(1, 2501))
    assert "2,500 of 2,500 rows (100%)" in emails["message"]
    assert emails["evidence"].endswith("(+2497 more)")
    # The terminal summarises: no line per row.
    assert "pii.email-address ×2500" in terminal.out
    assert len(terminal.out.splitlines()) < 120


def test_code_comments_notebooks_and_safetensors_metadata(cli, tmp_path):
    header = json.dumps({"__metadata__": {"ss_dataset_dir": "/home/maria.gonzalez/photos",
                                          "author": "Contact Kwame Asante"}}).encode()
    notebook = {"cells": [{"cell_type": "markdown", "source": ["Data from Ana Silva\n"]},
                          {"cell_type": "code", "source": ["# ask tom@postbox-mail.org\n"],
                           "outputs": [{"text": ["sent to 415-555-0199\n"]}]}]}
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "code/train.py": "# dataset from jane.doe@postbox-mail.org\nPATH = 'by Kwame Asante'\n",
        "code/explore.ipynb": json.dumps(notebook),
        "model/lora.safetensors": len(header).to_bytes(8, "little") + header,
    })
    report = cli("assess", bundle, "-f", "json").json()
    where = {(f["id"], f["location"]["path"], f["location"].get("field"))
             for f in report["findings"]}
    # Low findings in code are one per id for the code artifact, every file
    # kept in `also`.
    in_code = {(f["id"], path, f.get("context")) for f in report["findings"]
               for path in [f["location"]["path"], *f.get("also", [])]}
    assert ("pii.email-address", "code/train.py", "code-comment") in in_code
    assert ("pii.person-name", "code/train.py", "string-literal") in in_code
    assert ("pii.person-name", "model/lora.safetensors", "__metadata__.author") in where
    notebook_ids = {i for i, path, _ in in_code if path == "code/explore.ipynb"}
    assert {"pii.person-name", "pii.email-address", "pii.phone-number"} <= notebook_ids


def test_hook_register_recognizers_feeds_the_personal_data_check(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.codenames")
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n",
                                          "notes.txt": "moodboard for Project Nightjar\n"})
    report = cli("assess", bundle, "-f", "json").json()
    (hit,) = [f for f in report["findings"] if f["id"] == "pii.client-codename"]
    assert hit["check"] == "pii" and hit["severity"] == "medium"
    assert "Nightjar" not in json.dumps(report)


def test_a_missing_spacy_model_is_a_clear_failure(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "notes.txt": "portrait of Maria Gonzalez\n",
        "aiart-release.yaml": "checks:\n  pii:\n    spacy_model: en_core_web_nonexistent\n",
    })
    result = cli("assess", bundle, "-f", "json")
    failed = [f for f in result.json()["findings"] if f["id"] == "plugin.check-failed"]
    assert len(failed) == 1
    assert "en_core_web_nonexistent" in failed[0]["message"]
    assert "not installed" in failed[0]["message"]
    assert "Traceback" not in result.err


def test_facts_for_the_policy(cli):
    from aiart_release.default_plugins.personal_data.check import PersonalData

    report = cli("assess", PORTRAITS, "-f", "json").json()
    from aiart_release.findings import Finding

    findings = [Finding.from_dict(f) for f in report["findings"]]
    facts = PersonalData().facts(findings)
    assert facts["personal_data"] is True
    assert facts["special_category_data"] is True
    assert facts["people_identifiable"] >= 8
    assert facts["minors"] is False  # "two kids" in a caption: low, not enough


def test_offline_in_a_fresh_process_with_sockets_blocked(tmp_path):
    # A fresh process, so spaCy, Presidio and tldextract load with the
    # network gone, as on a CI machine without it.
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise OSError('network blocked by the test')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from aiart_release.cli import main\n"
        f"sys.exit(main(['assess', {str(PORTRAITS)!r}, '-f', 'json', '--no-cache']))\n"
    )
    env = {**os.environ, "AIART_RELEASE_CACHE_DIR": str(tmp_path / "c")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "publicsuffix" not in proc.stderr
    report = json.loads(proc.stdout)
    assert "sensitive.health" in finding_ids(report)
    assert "plugin.check-failed" not in finding_ids(report)
    assert not (tmp_path / "home").exists()
    assert TOOL.exists() and TESTS.exists()


# --- where the text comes from (context) ------------------------------------
# Each table row: (text, context, finding id, expected severity or None for
# "not reported"). The same words weigh differently in a caption, a README,
# a docstring or a citation.

NOT_A_STATEMENT_ABOUT_A_PERSON = [
    # Digits in shapes, defaults and versions are no ages, hence no children.
    ("x = x.view(-1)  # (batch, 4)", "code-comment"),
    ("Default: 1.", "docstring"),
    ("Args:\n    size (int): output size. Default is 5.", "docstring"),
    ("Returns a tensor of shape (N, 3).", "docstring"),
    ("upgrade to version 2, or 3", "prose"),
    # Ordinary words that share a spelling with health terms.
    ("Downloading the weights; please be patient.", "prose"),
    ("SSL verification will be disabled", "string-literal"),
    ("verification is disabled for this host", "code-comment"),
    ("Add visual aids to the tutorial", "prose"),
    # Class labels and species names are no statements about anyone.
    ("classes = ['Acadian Flycatcher', 'Monk', 'Baby', 'Nun', 'Tabby cat', 'Shih Tzu', "
     "'Crab']", "string-literal"),
    ("'Monk',\n'Nun',\n'Baby',\n'Child',\n'Hen',\n'Crab',\n'Jay'", "prose"),
    ("Cancer pagurus on a rock at low tide", "caption"),
    # A name that contains a trait word is a name.
    ("Christian Theobalt presented the results.", "prose"),
]


@pytest.mark.parametrize("text, context", NOT_A_STATEMENT_ABOUT_A_PERSON,
                         ids=[f"{c}-{i}" for i, (_, c) in
                              enumerate(NOT_A_STATEMENT_ABOUT_A_PERSON)])
def test_no_trait_or_child_without_a_statement_about_a_person(analyze, text, context):
    found = analyze(text, "", context)
    assert not any(i.startswith("sensitive.") or i == "pii.age" for i in found), found


CONTEXT_SEVERITY_TABLE = [
    # The data keeps its full weight.
    ("Maria Gonzalez, 7 years old, diagnosed with HIV", "caption", "sensitive.health",
     "critical"),
    ("Maria Gonzalez, 7 years old, diagnosed with HIV", "caption", "sensitive.minors",
     "critical"),
    ("booked via maria.gonzalez@postbox-mail.org", "caption", "pii.email-address", "high"),
    ("booked via maria.gonzalez@postbox-mail.org", "metadata", "pii.email-address", "high"),
    ("my son Leo, 7, at the beach", "caption", "sensitive.minors", "critical"),
    ("self-portrait at 27", "caption", "pii.age", "low"),  # a caption in the first person
    ("model release: subject is a minor (13)", "caption", "sensitive.minors", "medium"),
    ("Exif.Image.Artist = Mateo Rossi\nExif.Image.Copyright = 2017", "metadata",
     "pii.person-name", "medium"),  # a name the model ran into the next line
    ("follow her @aisha.paints", "caption", "pii.social-handle", "medium"),
    ("https://twitter.com/aishapaints", "caption", "pii.social-handle", "medium"),
    # README and card prose: medium at most; a contact offered as one is low,
    # and so is a name or handle (a mention: credits, authors, public figures).
    ("portrait of Maria Gonzalez in the studio", "prose", "pii.person-name", "low"),
    ("The portraits show Ana Silva.", "prose", "pii.person-name", "low"),  # a full stop
    ("See Config.Name and model.Maria for details.", "docstring", "pii.person-name", None),
    ("Photos were sent by maria.gonzalez@postbox-mail.org", "prose", "pii.email-address",
     "medium"),
    ("Questions? Contact maria.gonzalez@postbox-mail.org", "prose", "pii.email-address", "low"),
    ("Maria Gonzalez, diagnosed with HIV, sat for us", "prose", "sensitive.health", "medium"),
    ("thanks to @pedro_paints for the demo", "prose", "pii.social-handle", "low"),
    # ... and a place beside one: a caption says where someone lives, a
    # README names an author's city or a company the model takes for a place.
    ("Kenji Watanabe, who lives in Paris, sent sketches", "caption", "pii.location", "medium"),
    ("Kenji Watanabe, who lives in Paris, sent sketches", "prose", "pii.location", "low"),
    # Code and configuration: the maintainers' own words, low.
    ("Copyright 2021 Kwame Asante <kwame@asante-prints.com>", "code-comment", "pii.email-address",
     "low"),
    ("Copyright 2021 Kwame Asante <kwame@asante-prints.com>", "code-comment", "pii.person-name",
     "low"),
    ("Written by Kwame Asante, kwame@asante-prints.com", "docstring", "pii.email-address", "low"),
    ("Kwame Asante", "string-literal", "pii.person-name", "low"),
    ("author = Kwame Asante", "config", "pii.person-name", "low"),
    # A sentence about a named human in code is still worth a look.
    ("Maria Gonzalez was diagnosed with HIV in 2019.", "code-comment", "sensitive.health",
     "medium"),
    # Test data: low at most.
    ("booked via maria.gonzalez@postbox-mail.org", "fixture", "pii.email-address", "low"),
    ("Maria Gonzalez, diagnosed with HIV", "fixture", "sensitive.health", "low"),
    # Citations: contacts at info, names not reported.
    ("Jane Roe, jane.roe@kunst-post.org", "citation", "pii.email-address", "info"),
    ("If you use it, cite Jane Roe and Kwame Asante.", "citation", "pii.person-name", None),
    ("@article{roe2024, author = {Roe, Jane and Asante, Kwame}}", "citation",
     "pii.social-handle", None),
    # Code identifiers, keywords and filler text are no names.
    ("Uses ResNet and ToTensor from PyTorch", "docstring", "pii.person-name", None),
    ("Set use_maria_gonzalez to True", "docstring", "pii.person-name", None),
    ("Lorem Ipsum dolor sit amet", "prose", "pii.person-name", None),
    ("Generative Model, Command Line, KITTI Distance", "prose", "pii.person-name", None),
    ("disable=Tero Karras", "config", "pii.person-name", None),
    # Bylines of papers and projects are credits.
    ("Maria Gonzalez¹, Kwame Asante², Lee Wong¹", "prose", "pii.person-name", None),
    ("Tero Karras (NVIDIA), Miika Aittala (NVIDIA), Janne Hellsten (NVIDIA)", "prose",
     "pii.person-name", None),
    # A project URL names an owner, not a person to protect.
    ("Code: https://github.com/kwame-asante/ink-lora", "prose", "pii.social-handle", None),
    ("see https://github.com/kwame-asante", "caption", "pii.social-handle", None),
    ("@staticmethod", "code-comment", "pii.social-handle", None),
    ("read https://hiperdex.com/manga/x", "caption", "pii.social-handle", None),  # not x.com
    ("https://twitter.com/USERNAME", "caption", "pii.social-handle", None),  # a template
    ("https://www.instagram.com/graphql/query", "caption", "pii.social-handle", None),
    ("under the GNU General Public License", "prose", "pii.person-name", None),
    ("Use the `@staticmethod` decorator", "prose", "pii.social-handle", None),
]


@pytest.mark.parametrize("text, context, finding_id, severity", CONTEXT_SEVERITY_TABLE,
                         ids=[f"{c}-{i}-{f}" for i, (_, c, f, _) in
                              enumerate(CONTEXT_SEVERITY_TABLE)])
def test_severity_follows_the_context(analyze, text, context, finding_id, severity):
    found = analyze(text, "", context)
    assert found.get(finding_id) == severity, found


NUMBERS_IN_URLS_AND_PATHS = [
    # (text, finding id that must not appear)
    ("https://cdn.example.com/i/4111111111111111/photo.jpg", "pii.credit-card"),
    ("https://example.com/items/4111-1111-1111-1111", "pii.credit-card"),
    ("images/078-05-1120/0001.png", "pii.national-id"),
    ("https://example.com/p/4155550199?size=large", "pii.phone-number"),
    ("photos/IMG_20190512_4155550199.jpg", "pii.phone-number"),
    ("C:\\data\\415-555-0199\\a.png", "pii.phone-number"),
    ("icon@2x.png", "pii.email-address"),
    ("assets/logo@3x.jpg, banner@2x.webp", "pii.email-address"),
    ("shot on 06.01.2010 029", "pii.phone-number"),
    ("python 3.7.4.3 installed", "pii.ip-address"),
    ("server at 192.168.1.20", "pii.ip-address"),
    ("mean = [0.48145466, 0.4578275, 0.40821073]", "pii.gps-coordinates"),
    ("tensor([0.40821073, 0.27577711])", "pii.phone-number"),
    ('"user_id": "100064860875397"', "pii.credit-card"),  # passes Luhn, no card network
]


@pytest.mark.parametrize("text, finding_id", NUMBERS_IN_URLS_AND_PATHS,
                         ids=[str(i) for i in range(len(NUMBERS_IN_URLS_AND_PATHS))])
def test_no_ids_from_digits_inside_urls_and_paths(analyze, text, finding_id):
    assert finding_id not in analyze(text), analyze(text)


@pytest.mark.parametrize("text, finding_id", [
    ("paid with 4111 1111 1111 1111", "pii.credit-card"),
    ("call 415-555-0199 or see https://example.com/p/1", "pii.phone-number"),
    ("mailto:maria.gonzalez@postbox-mail.org", "pii.email-address"),
    ("upload from 203.0.113.42", "pii.ip-address"),
    ("taken at 48.8584, 2.2945 last spring", "pii.gps-coordinates"),
])
def test_ids_beside_urls_are_still_found(analyze, text, finding_id):
    assert finding_id in analyze(text)


def test_unix_times_in_docs_are_no_phone_numbers(analyze):
    assert "pii.phone-number" not in analyze("Use a Unix time like 1546297200.", "", "prose")


@pytest.mark.parametrize("text, context", [
    ("Spawn a child process and wait for its children", "code-comment"),
    ("class-agnostic NMS; agnostic (bool): merge all classes", "docstring"),
    ("I tested it on my children's drawings", "code-comment"),  # about someone, named nobody
    ("depressed keys are ignored", "string-literal"),
    ("a 5 years old sample", "docstring"),
])
def test_code_states_no_trait_unless_it_names_someone(analyze, text, context):
    found = analyze(text, "", context)
    assert not any(i.startswith("sensitive.") for i in found), found


def test_a_class_name_in_a_docstring_identifies_nobody(analyze):
    # "ResNet" is a class; the trait words are about modules: nothing at
    # medium or above, nothing critical.
    found = analyze("ResNet backbone. The children of this module are frozen; "
                    "the patient schedule waits 5 epochs.", "", "docstring")
    assert all(s in ("info", "low") for s in found.values()), found


def test_hits_point_at_their_line(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "README.md": "# Title\n\nA first line,\na second line,\n"
                     "and maria.gonzalez@postbox-mail.org sent photos.\n",
        "code/train.py": 'def f():\n    """Train.\n\n    By kwame@asante-prints.com.\n    """\n',
    })
    report = cli("assess", bundle, "-f", "json").json()
    lines = {(f["location"]["path"], f["id"]): f["location"].get("line")
             for f in report["findings"] if f["id"] == "pii.email-address"}
    assert lines == {("README.md", "pii.email-address"): 5,
                     ("code/train.py", "pii.email-address"): 4}
    contexts = {f["location"]["path"]: f["context"] for f in report["findings"]
                if f["id"] == "pii.email-address"}
    assert contexts == {"README.md": "prose", "code/train.py": "docstring"}


def test_every_personal_data_finding_has_a_context(cli):
    from aiart_release.findings import CONTEXTS

    report = cli("assess", PORTRAITS, "-f", "json").json()
    ours = [f for f in report["findings"] if f["check"] == "pii"
            and f["id"].startswith(("pii.", "sensitive."))]
    assert ours and all(f.get("context") in CONTEXTS for f in ours)


def _finding(finding_id: str, severity: str, context: str | None):
    from aiart_release.findings import Finding, Location, Severity

    return Finding(id=finding_id, severity=Severity(severity), message="m",
                   location=Location(path="x"), context=context)


@pytest.mark.parametrize("finding_id, severity, context, fact, value", [
    # A contact in a code header, a name in a README: not data about people.
    ("pii.email-address", "high", "code-comment", "personal_data", False),
    ("pii.person-name", "medium", "prose", "personal_data", False),
    ("pii.person-name", "medium", "prose", "people_identifiable", 0),
    ("sensitive.health", "critical", "docstring", "special_category_data", False),
    ("sensitive.minors", "medium", "string-literal", "minors", False),
    ("pii.email-address", "high", "fixture", "personal_data", False),
    # The same in the data closes it.
    ("pii.email-address", "high", "caption", "personal_data", True),
    ("pii.person-name", "medium", "metadata", "people_identifiable", 1),
    ("sensitive.health", "critical", "caption", "special_category_data", True),
    ("sensitive.minors", "medium", "caption", "minors", True),
])
def test_facts_describe_the_data_only(finding_id, severity, context, fact, value):
    from aiart_release.default_plugins.personal_data.check import PersonalData

    assert PersonalData().facts([_finding(finding_id, severity, context)])[fact] == value


def test_a_code_header_contact_does_not_close_the_dataset(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n",
        "code/train.py": "# Copyright 2024 Kwame Asante <kwame@asante-prints.com>\nimport os\n",
        "data/0001.txt": "an ink-wash landscape with a heron\n",
        "data/0001.png": b"\x89PNG\r\n\x1a\n",
    })
    report = cli("assess", bundle, "-f", "json").json()
    email = next(f for f in report["findings"] if f["id"] == "pii.email-address")
    assert (email["severity"], email["context"]) == ("low", "code-comment")
    assert report["recommendation"]["artifacts"]["dataset"]["tier"] != "closed"


@pytest.mark.parametrize("text, context", [
    ("Keunhong Park 1 ,\n\nUtkarsh Sinha 2 ,\n\nJonathan T. Barron 2 ,\n\nSofien Bouaziz 2",
     "prose"),
    ("1 University of Washington, 2 Google Research", "prose"),
    ("Set `names = [\"John\", \"David\"]` in the config", "prose"),
    ("This Dolly zoom effect is fun", "prose"),  # a lone given name outside the data
    ("thanks to Maria for testing", "code-comment"),
])
def test_credits_institutions_and_quoted_code_are_no_people(analyze, text, context):
    assert "pii.person-name" not in analyze(text, "", context)


def test_context_rules_cost_linear_time_on_long_tokens():
    # A long token (base64, a minified line) beside a number: looking for
    # URLs and paths from every position of it would cost its square
    # (minutes at this size); token by token it is instant.
    import time

    from aiart_release.default_plugins.personal_data.analyzer import Hit
    from aiart_release.default_plugins.personal_data.contexts import clean_hits

    text = "x" * 200_000 + " call 415-555-0199. " + "y/" * 50_000
    start = text.index("415")
    hit = Hit("PHONE_NUMBER", start, start + 12, 0.75, text[start:start + 12])
    began = time.perf_counter()
    assert clean_hits(text, [hit], "caption") == [hit]
    assert time.perf_counter() - began < 2.0


def test_a_list_of_class_labels_is_a_vocabulary_not_captions(cli, tmp_path):
    # An ImageNet-style label map in data/: species names, "patient" words
    # and place names in it state nothing about anyone.
    labels = [f"{i}: 'label {i}, Genus species{i}'," for i in range(60)]
    labels[3] = "3: 'Maria Gonzalez, diagnosed with HIV',"
    labels[7] = "7: 'Madison Avenue, New York',"
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "data/labels.txt": "{" + "\n".join(labels) + "}\n",
        "data/captions/001.txt": "Maria Gonzalez, diagnosed with HIV, at the studio\n",
        "data/captions/001.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64})
    report = cli("assess", bundle, "-f", "json").json()
    in_labels = [f for f in report["findings"] if f["location"]["path"] == "data/labels.txt"]
    assert all(f["context"] == "config" and f["severity"] in ("info", "low")
               for f in in_labels)
    # the same words in a caption sidecar are still data about a person
    caption = {f["id"]: f for f in report["findings"]
               if f["location"]["path"] == "data/captions/001.txt"}
    assert caption["sensitive.health"]["severity"] == "critical"
