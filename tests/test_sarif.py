"""``--format sarif``: real output validated against the official SARIF 2.1.0
JSON Schema (tests/data/sarif-schema-2.1.0.json, see the README beside it),
the same findings and masked evidence as ``--format json``, rules with help
text, levels, and fingerprints that survive moved lines and rows."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import make_bundle

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json")
                    .read_text(encoding="utf-8"))
EXAMPLES = ("own-work", "unlicensed-unfilled", "portrait-sessions", "nc-base-lora",
            "forum-fanart", "geotagged-portraits")
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
          "info": "note"}
# GitHub code scanning: critical from 9.0, high from 7.0, medium from 4.0.
SECURITY_SEVERITY = {"info": "0.1", "low": "3.0", "medium": "5.5", "high": "8.0",
                     "critical": "9.5"}


def sarif_errors(log: dict) -> list[str]:
    validator = jsonschema.Draft4Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(log)]


def only_run(log: dict) -> dict:
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    return log["runs"][0]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_bundles_give_valid_sarif_that_says_what_the_json_says(name, cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    as_json = cli("assess", f"examples/{name}", "-f", "json")
    as_sarif = cli("assess", f"examples/{name}", "-f", "sarif")
    assert as_sarif.code == as_json.code
    log = json.loads(as_sarif.out)
    assert sarif_errors(log) == []
    run = only_run(log)
    findings = as_json.json()["findings"]
    results = run["results"]
    assert len(results) == len(findings) > 0
    rules = run["tool"]["driver"]["rules"]
    for finding, result in zip(findings, results, strict=True):
        assert result["ruleId"] == finding["id"]
        assert rules[result["ruleIndex"]]["id"] == finding["id"]
        assert result["level"] == LEVELS[finding["severity"]]
        # Masked exactly as the JSON: the same evidence, the same fingerprint.
        assert result["properties"].get("evidence") == finding.get("evidence")
        assert result["partialFingerprints"] == {
            "aiartReleaseFingerprint/v1": finding["fingerprint"].removeprefix("sha256:")}
        place = result["locations"][0]["physicalLocation"]
        assert place["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        if "line" in finding["location"]:
            assert place["region"] == {"startLine": finding["location"]["line"]}
        if "row" in finding["location"]:
            assert result["properties"]["row"] == finding["location"]["row"]
    invocation = run["invocations"][0]
    assert invocation["exitCode"] == as_json.code
    assert run["tool"]["driver"]["name"] == "aiart-release"
    assert run["tool"]["driver"]["version"] == as_json.json()["tool"]["version"]


def test_rules_have_help_text_from_the_checks_and_github_severities(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    run = only_run(json.loads(cli("assess", "examples/nc-base-lora", "-f", "sarif").out))
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert len(rules) == len(run["tool"]["driver"]["rules"])  # one rule per id
    assert set(rules) == {r["ruleId"] for r in run["results"]}
    for rule in rules.values():
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert rule["help"]["markdown"].startswith("**")
        for result in run["results"]:
            if result["ruleId"] == rule["id"] and result["properties"]["remediation"]:
                assert f"Fix: {result['properties']['remediation']}" in rule["help"]["text"]
        worst = max((r["properties"]["severity"] for r in run["results"]
                     if r["ruleId"] == rule["id"]), key=list(SECURITY_SEVERITY).index)
        assert rule["properties"]["security-severity"] == SECURITY_SEVERITY[worst]
        assert rule["defaultConfiguration"]["level"] == LEVELS[worst]
        assert "security" in rule["properties"]["tags"]
    from aiart_release.plugins import build_registry

    meanings = {i: m for c in build_registry().checks.values() for i, m in c.findings.items()}
    conflict = rules["license.noncommercial-conflict"]
    assert conflict["fullDescription"]["text"].rstrip(".") == meanings[
        "license.noncommercial-conflict"].rstrip(".")
    assert conflict["defaultConfiguration"]["level"] == "error"


CAPTIONS = ("file_name,caption\n"
            "a.png,a watercolour of a harbour\n"
            "b.png,portrait sent by maria.gonzalez@kunst-post.org for the set\n")


def test_fingerprints_do_not_change_when_rows_and_lines_move(cli, tmp_path):
    def fingerprints(files: dict[str, str]) -> dict[str, tuple]:
        bundle = make_bundle(tmp_path / f"b{len(list(tmp_path.iterdir()))}", files)
        run = only_run(json.loads(cli("assess", bundle, "-f", "sarif", "--no-cache").out))
        return {r["ruleId"]: (r["partialFingerprints"], r["properties"].get("row"),
                              r["locations"][0]["physicalLocation"].get("region"))
                for r in run["results"] if r["ruleId"] in ("pii.email-address",
                                                           "model.unsafe-load-code")}

    code = "import torch\n\nstate = torch.load('model.ckpt')\n"
    before = fingerprints({"data/captions.csv": CAPTIONS, "code/train.py": code})
    moved = CAPTIONS.replace("file_name,caption\n", "file_name,caption\nc.png,a new row\n")
    after = fingerprints({"data/captions.csv": moved, "code/train.py": "# moved\n\n\n" + code})
    assert set(before) == set(after) and "pii.email-address" in before
    for rule in before:
        assert before[rule][0] == after[rule][0]          # the same alert
        assert before[rule][1:] != after[rule][1:]        # at its new place
    assert after["pii.email-address"][1] == before["pii.email-address"][1] + 1


def test_no_raw_value_in_sarif_and_show_pii_shows_it_as_json_does(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"data/captions.csv": CAPTIONS})
    masked = cli("assess", bundle, "-f", "sarif")
    assert "maria.gonzalez@kunst-post.org" not in masked.out
    assert sarif_errors(json.loads(masked.out)) == []
    shown = cli("assess", bundle, "-f", "sarif", "--show-pii")
    as_json = cli("assess", bundle, "-f", "json", "--show-pii")
    assert "maria.gonzalez@kunst-post.org" in shown.out
    evidence = [r["properties"].get("evidence") for r in only_run(json.loads(shown.out))["results"]]
    assert evidence == [f.get("evidence") for f in as_json.json()["findings"]]


def test_the_invocation_says_the_gate_and_the_exit_code(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"data/captions.csv": CAPTIONS})
    passed = cli("assess", bundle, "-f", "sarif", "--fail-on", "critical")
    failed = cli("assess", bundle, "-f", "sarif", "--fail-on", "low")
    assert (passed.code, failed.code) == (0, 1)
    ran = only_run(json.loads(passed.out))["invocations"][0]
    gate = only_run(json.loads(failed.out))["invocations"][0]
    assert (ran["exitCode"], ran["executionSuccessful"]) == (0, True)
    assert gate["exitCode"] == 1 and gate["exitCodeDescription"].startswith("gate failed: ")
    assert gate["properties"] == {"failOn": "low"}


def test_a_failed_plugin_is_a_notification_and_a_result(cli, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.failing")
    bundle = make_bundle(tmp_path / "b", {"README.md": "# hi\n", "notes.txt": "BOOM\n"})
    log = json.loads(cli("assess", bundle, "-f", "sarif").out)
    assert sarif_errors(log) == []
    invocation = only_run(log)["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notified = {n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]}
    assert notified <= {r["ruleId"] for r in only_run(log)["results"]}
    assert notified and all(i.startswith("plugin.") for i in notified)
