"""Bad files in a bundle, through the CLI: the personal-data check reports each
one as ``bundle.unreadable`` with a reason, and goes on with the rest.

A file that is not UTF-8, a CSV with a NUL byte or an unclosed quote, JSON
that is no array of records, corrupt Parquet, a safetensors header cut short,
a 1.5 MiB line: none of them may crash the run (exit 2 or 3), print a
traceback, or turn into ``plugin.check-failed``, and none may hide the
personal data in the good file beside them.

The whole bundle is assessed once, by the installed ``aiart-release`` in a
subprocess: loading spaCy takes seconds, and a subprocess's stderr holds
everything, including what the check's worker processes write to it.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import TOOL, make_bundle

GOOD = "data/good.txt"
LATE = "data/late.csv"
CAPTION_MAP = "data/meta_cap.json"

# Each bad file, and words its unreadable message must contain (the reason).
BAD_FILES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "data/latin1.txt": ("caf\xe9 crème\n".encode("latin-1"), ("UTF-8", "line 1")),
    "data/nul.csv": (b"file,caption\na.png,a cat\nb.png,x\x00y\n", ("NUL",)),
    "data/broken.csv": (b'file,caption\na.png,"never closed\n', ("CSV",)),
    "data/items.json": (b"[1, 2, 3]", ("not a record",)),
    # random bytes (fixed, so a failure repeats), not a Parquet file
    "data/corrupt.parquet": (bytes(range(256)) * 8, ("Parquet",)),
    # the header says 10,000 bytes; the file ends inside the JSON
    "model/bad.safetensors": ((10_000).to_bytes(8, "little") + b'{"__metadata__": {"a": "b',
                              ("safetensors",)),
    "data/longline.txt": (b"x" * (3 * 1024 * 1024 // 2) + b"\n", ("longer than 1 MiB",)),
}

FILES: dict[str, str | bytes] = {
    GOOD: "portrait of Maria Gonzalez, maria@postbox-mail.org\n",
    # Rows 1-3 hold personal data; row 4 opens a quote that never closes.
    LATE: ("file,caption\n"
           "1.png,portrait of John Smith in his studio\n"
           "2.png,send prints to jane.doe@kunst-post.org\n"
           "3.png,call Ann on +1 415 555 0123\n"
           '4.png,"the quote never closes\n'),
    # A JSON object: configuration to the inventory, not a table (DESIGN.md).
    "data/notrecords.json": '{"caption": "a cat on a mat"}',
    # kohya-ss's caption file: image -> record, a JSON object, not an array.
    CAPTION_MAP: '{"a.png": {"caption": "portrait of Maria Gonzalez at home"}}',
    **{path: content for path, (content, _) in BAD_FILES.items()},
}


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    """(exit code, report, stderr) of one ``assess -f json`` of the bundle."""
    root = make_bundle(tmp_path_factory.mktemp("bad-input") / "bundle", FILES)
    env = {k: v for k, v in os.environ.items()
           if k not in ("AIART_RELEASE_PLUGINS", "AIART_RELEASE_DISABLE_PLUGINS",
                        "AIART_RELEASE_DEBUG")}
    env["AIART_RELEASE_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    env["NO_COLOR"] = "1"
    proc = subprocess.run([str(TOOL), "assess", str(root), "-f", "json"], capture_output=True,
                          text=True, env=env, timeout=300)
    report = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, report, proc.stderr


def findings_at(report: dict, path: str, finding_id: str | None = None) -> list[dict]:
    return [f for f in report["findings"] if f["location"]["path"] == path
            and (finding_id is None or f["id"] == finding_id)]


def test_the_run_completes_without_a_crash(assessed):
    code, report, err = assessed
    assert code in (0, 1), err  # never 2 (usage) or 3 (internal error)
    assert report is not None, err
    assert "Traceback" not in err
    assert "internal error" not in err


def test_no_check_failed(assessed):
    _, report, _ = assessed
    assert [f for f in report["findings"] if f["id"].startswith("plugin.")] == []


@pytest.mark.parametrize("path", sorted(BAD_FILES))
def test_each_bad_file_is_reported_unreadable_once_with_a_reason(assessed, path):
    _, report, _ = assessed
    unreadable = findings_at(report, path, "bundle.unreadable")
    assert len(unreadable) == 1, [f["message"] for f in findings_at(report, path)]
    message = unreadable[0]["message"]
    for word in BAD_FILES[path][1]:
        assert word in message, message
    # Nothing else is claimed about a file that could not be read.
    assert [f["id"] for f in findings_at(report, path)
            if f["id"].startswith(("pii.", "sensitive."))] == []


def test_the_good_file_still_yields_its_personal_data(assessed):
    _, report, _ = assessed
    ids = {f["id"] for f in findings_at(report, GOOD)}
    assert {"pii.person-name", "pii.email-address"} <= ids
    assert "bundle.unreadable" not in ids
    # evidence stays masked next to bad files too
    for finding in findings_at(report, GOOD):
        assert "maria@postbox-mail.org" not in finding.get("evidence", "")
        assert "Maria Gonzalez" not in finding.get("evidence", "")


def test_a_json_object_is_configuration_not_an_unreadable_table(assessed):
    # DESIGN.md: a JSON array is records, an object is configuration; the
    # personal-data check does not read configuration, so nothing is claimed.
    _, report, _ = assessed
    assert findings_at(report, "data/notrecords.json", "bundle.unreadable") == []


def test_a_csv_that_breaks_at_row_4_is_reported_unreadable(assessed):
    _, report, _ = assessed
    [unreadable] = findings_at(report, LATE, "bundle.unreadable")
    assert "CSV" in unreadable["message"]


# Was a bug (fixed): see git history.
def test_rows_before_a_csv_breaks_are_still_reported(assessed):
    _, report, _ = assessed
    found = {f["id"]: f for f in findings_at(report, LATE)}
    names = found["pii.person-name"]["location"]
    assert 1 in names.get("rows", [names.get("row")])  # "Ann" in row 3 may count too
    assert found["pii.email-address"]["location"]["row"] == 2
    assert found["pii.phone-number"]["location"]["row"] == 3
    assert "bundle.unreadable" in found


# Was a bug (fixed): see git history.
def test_captions_in_a_json_object_are_scanned(assessed):
    _, report, _ = assessed
    assert findings_at(report, CAPTION_MAP, "pii.person-name")
