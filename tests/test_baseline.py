"""The baseline (.aiart-release-baseline.json): findings a reviewer accepted,
by fingerprint, with a justification and a date. Real bundles, through the
command line; the file never holds a raw value, a moved line or an inserted
row does not churn it, and a hostile baseline is one line and exit 2."""

from __future__ import annotations

import datetime
import json
import os

import jsonschema
import pytest
from conftest import make_bundle

from aiart_release.baseline import BASELINE_NAME, path_for
from aiart_release.readers.yamlfile import schema

EMAIL = "maria.gonzalez@gmail.com"
CARD = "4111 1111 1111 1111"
REASON = "Maria asked to be credited with her studio address"


def _bundle(tmp_path, caption_rows=None, notes_lines=None):
    rows = caption_rows or ["a.png,a dog on a beach", f"b.png,card {CARD} paid"]
    notes = notes_lines or ["Notes", "", f"Write to {EMAIL} for prints."]
    return make_bundle(tmp_path / "bundle", {
        "captions.csv": "file,caption\n" + "\n".join(rows) + "\n",
        "docs/notes.md": "\n".join(notes) + "\n",
    })


def _report(cli, root, *more):
    result = cli("assess", root, "--format", "json", *more)
    assert result.code in (0, 1), result.err
    report = result.json()
    jsonschema.validate(report, schema("assessment.schema.json"))
    return report


def _ids(report, key="findings"):
    return sorted(f["id"] for f in report.get(key, []))


def _baseline_bytes(root):
    return path_for(root).read_bytes()


def test_add_accepts_a_finding_and_the_file_holds_no_raw_value(cli, tmp_path):
    root = _bundle(tmp_path)
    before = _report(cli, root)
    assert "pii.credit-card" in _ids(before)
    assert cli("assess", root, "--fail-on", "critical").code == 1

    added = cli("baseline", "add", root, "--id", "pii.credit-card", "--id", "pii.email-address",
                "--reason", f"{REASON} (Maria Gonzalez, {EMAIL})")
    assert added.code == 0, added.err
    assert "2 findings accepted" in added.out

    text = _baseline_bytes(root).decode()
    assert EMAIL not in text and CARD not in text and CARD.replace(" ", "") not in text
    assert "Gonzalez" not in text  # the justification is masked too
    document = json.loads(text)
    entries = document["entries"]
    assert document["version"] == 1
    assert [e["id"] for e in entries] == ["pii.credit-card", "pii.email-address"]
    for entry in entries:
        assert set(entry) == {"fingerprint", "id", "path", "reason", "date"}
        assert entry["fingerprint"].startswith("sha256:")
        assert entry["date"] == datetime.date.today().isoformat()
        assert entry["reason"].startswith("Maria asked")  # the address in it masked

    after = _report(cli, root)
    assert "pii.credit-card" not in _ids(after) and "pii.email-address" not in _ids(after)
    suppressed = {f["id"]: f for f in after["suppressed"]}
    assert set(suppressed) == {"pii.credit-card", "pii.email-address"}
    assert suppressed["pii.credit-card"]["suppression"]["kind"] == "baseline"
    assert suppressed["pii.credit-card"]["suppression"]["date"] == entries[0]["date"]
    assert EMAIL not in json.dumps(after)
    # Accepted: no longer failing the gate, and no longer holding the tier.
    assert cli("assess", root, "--fail-on", "critical").code == 0
    assert "personal-data" not in json.dumps(after["recommendation"])


def test_a_baselined_critical_finding_stays_visible_in_the_terminal(cli, tmp_path):
    root = _bundle(tmp_path)
    assert cli("baseline", "add", root, "--id", "pii.credit-card", "--reason", REASON).code == 0
    out = cli("assess", root).out
    assert "1 accepted" in out
    accepted = [line for line in out.splitlines() if line.startswith("Accepted")]
    assert len(accepted) == 1 and "pii.credit-card" in accepted[0]
    assert f"(baseline: {REASON})" in " ".join(out.split())


def test_a_moved_line_and_an_inserted_row_do_not_churn_the_baseline(cli, tmp_path):
    root = _bundle(tmp_path)
    assert cli("baseline", "add", root, "--all-current", "--reason", "adopting the tool").code == 0
    first = _baseline_bytes(root)

    # The e-mail address moves three lines down; a row is inserted above the card.
    _bundle(tmp_path,
            caption_rows=["z.png,a new row above", "a.png,a dog on a beach",
                          f"b.png,card {CARD} paid"],
            notes_lines=["Notes", "", "More notes.", "", "And more.", "",
                         f"Write to {EMAIL} for prints."])
    report = _report(cli, root)
    assert "pii.credit-card" not in _ids(report) and "pii.email-address" not in _ids(report)
    card = next(f for f in report["suppressed"] if f["id"] == "pii.credit-card")
    email = next(f for f in report["suppressed"] if f["id"] == "pii.email-address")
    assert card["location"]["row"] == 3 and email["location"]["line"] == 7  # they did move
    again = cli("baseline", "add", root, "--all-current", "--reason", "adopting the tool")
    assert again.code == 0 and "0 findings accepted" in again.out
    assert _baseline_bytes(root) == first
    assert cli("baseline", "audit", root).code == 0


def test_new_personal_data_is_not_covered_by_the_old_entry(cli, tmp_path):
    root = _bundle(tmp_path)
    assert cli("baseline", "add", root, "--id", "pii.email-address", "--reason", REASON).code == 0
    _bundle(tmp_path, notes_lines=["Notes", f"Write to {EMAIL} for prints.",
                                   "Or to joe.bloggs@gmail.com."])
    assert "pii.email-address" in _ids(_report(cli, root))


def test_audit_and_prune(cli, tmp_path):
    root = _bundle(tmp_path)
    assert cli("baseline", "add", root, "--all-current", "--reason", "adopting the tool").code == 0
    total = len(json.loads(_baseline_bytes(root))["entries"])
    audit = cli("baseline", "audit", root)
    assert audit.code == 0 and audit.out.count("present") == total
    assert "adopting the tool" in audit.out and "(0 days)" in audit.out

    _bundle(tmp_path, notes_lines=["Notes", "", "Nothing personal here."])
    audit = cli("baseline", "audit", root)
    assert audit.code == 1
    absent = [line for line in audit.out.splitlines() if line.startswith("ABSENT")]
    assert len(absent) == 1 and "pii.email-address" in absent[0]
    listed = json.loads(cli("baseline", "audit", root, "--json").out)
    assert listed["stale"] == 1

    pruned = cli("baseline", "prune", root)
    assert pruned.code == 0 and "1 entry pruned" in pruned.out
    entries = json.loads(_baseline_bytes(root))["entries"]
    assert len(entries) == total - 1 and "pii.email-address" not in {e["id"] for e in entries}
    assert cli("baseline", "audit", root).code == 0


def test_add_by_fingerprint_as_the_json_shows_it(cli, tmp_path):
    root = _bundle(tmp_path)
    card = next(f for f in _report(cli, root)["findings"] if f["id"] == "pii.credit-card")
    assert cli("baseline", "add", root, "--fingerprint", card["fingerprint"],
               "--reason", "a test card number from the payment provider's docs").code == 0
    assert [e["fingerprint"] for e in json.loads(_baseline_bytes(root))["entries"]] == [
        card["fingerprint"]]


@pytest.mark.parametrize("args, message", [
    (["--id", "pii.credit-card"], "Missing option '--reason'"),
    (["--id", "pii.credit-card", "--reason", "  "], "justification is required"),
    (["--reason", "why"], "--all-current"),
    (["--id", "pii.no-such-thing", "--reason", "why"], "no current finding matches"),
])
def test_add_refuses_without_a_reason_or_a_match_and_writes_nothing(cli, tmp_path, args, message):
    root = _bundle(tmp_path)
    result = cli("baseline", "add", root, *args)
    assert result.code == 2
    assert message in result.err and len(result.err.strip().splitlines()) == 1
    assert not os.path.lexists(root / BASELINE_NAME)


def _entry(**over):
    entry = {"fingerprint": "sha256:" + "0" * 64, "id": "pii.email-address",
             "path": "captions.csv", "reason": "ok", "date": "2026-01-02"}
    return {**entry, **over}


def _document(*entries) -> bytes:
    return json.dumps({"version": 1, "entries": list(entries)}).encode()


HOSTILE = {
    "not-json": b"{\"version\": 1, \"entries\": [",
    "not-utf8": b"\xff\xfe\x00garbage",
    "deep": b"[" * 50_000 + b"]" * 50_000,
    "huge": b"{\"version\": 1, \"entries\": [], \"pad\": \"" + b"x" * (33 * 1024 * 1024) + b"\"}",
    "a list": b"[]",
    "wrong version": json.dumps({"version": 7, "entries": []}).encode(),
    "entries not a list": json.dumps({"version": 1, "entries": {"a": 1}}).encode(),
    "entry not an object": json.dumps({"version": 1, "entries": ["x"]}).encode(),
    "fingerprint a number": _document(_entry(fingerprint=1)),
    "bad fingerprint": _document(_entry(fingerprint="md5:1")),
    "empty reason": _document(_entry(reason=" ")),
    "bad date": _document(_entry(date="2026-13-40")),
    "bad id": _document(_entry(id="rm -rf /")),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_baseline_is_one_line_and_exit_2(cli, tmp_path, name):
    root = _bundle(tmp_path)
    path_for(root).write_bytes(HOSTILE[name])
    for args in (("assess", root), ("baseline", "audit", root),
                 ("baseline", "add", root, "--all-current", "--reason", "x")):
        result = cli(*args)
        assert result.code == 2, (name, args, result.err)
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and BASELINE_NAME in lines[0], lines
        assert "Traceback" not in result.err and "xxxx" not in result.err
    assert path_for(root).read_bytes() == HOSTILE[name]  # never rewritten


def test_a_baseline_that_is_a_link_out_of_the_bundle_is_not_read(cli, tmp_path):
    root = _bundle(tmp_path)
    secret = tmp_path / "secret.json"
    secret.write_text('{"version": 1, "entries": []}')
    path_for(root).symlink_to(secret)
    result = cli("assess", root)
    assert result.code == 2 and "leaves the bundle" in result.err
    result = cli("baseline", "add", root, "--all-current", "--reason", "x")
    assert result.code == 2
    assert secret.read_text() == '{"version": 1, "entries": []}'


def test_sarif_marks_an_accepted_finding_suppressed(cli, tmp_path):
    from conftest import TESTS

    root = _bundle(tmp_path)
    assert cli("baseline", "add", root, "--id", "pii.credit-card", "--reason", REASON).code == 0
    result = cli("assess", root, "--format", "sarif")
    log = json.loads(result.out)
    jsonschema.validate(log, json.loads((TESTS / "data" / "sarif-schema-2.1.0.json").read_text()))
    results = log["runs"][0]["results"]
    [card] = [r for r in results if r["ruleId"] == "pii.credit-card"]
    assert card["suppressions"] == [{"kind": "external", "status": "accepted",
                                     "justification": REASON}]
    assert all("suppressions" not in r for r in results if r is not card)


def test_a_row_inserted_above_in_a_sources_manifest_does_not_churn(cli, tmp_path):
    header = "path,creator,source,license,consent\n"
    own = "data/a.png,Ann,own,CC-BY-4.0,yes\n"
    scraped = "data/b.png,Bob,https://www.deviantart.com/x,CC-BY-4.0,\n"
    root = make_bundle(tmp_path / "b", {"data/a.png": b"a", "data/b.png": b"b",
                                        "data/c.png": b"c", "sources.csv": header + own + scraped})
    assert cli("baseline", "add", root, "--id", "consent.unknown",
               "--reason", "Bob's consent is on paper, filed with the studio").code == 0
    first = _baseline_bytes(root)
    (root / "sources.csv").write_text(header + "data/c.png,Cy,own,CC-BY-4.0,yes\n" + own + scraped)
    report = _report(cli, root)
    [accepted] = [f for f in report["suppressed"] if f["id"] == "consent.unknown"]
    assert accepted["location"]["row"] == 3 and "consent.unknown" not in _ids(report)
    assert cli("baseline", "audit", root).code == 0 and _baseline_bytes(root) == first
