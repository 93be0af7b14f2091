"""The CLI as a user runs it, on the example bundles and on bad input."""

from __future__ import annotations

import json
import os
import shutil

from conftest import EXAMPLES, SAFETENSORS, TESTS, finding_ids, make_bundle, run_tool, tree_state

OWN_WORK = EXAMPLES / "own-work"
UNLICENSED = EXAMPLES / "unlicensed-unfilled"


def test_own_work_bundle_comes_out_open(cli):
    result = cli("assess", OWN_WORK, "--format", "json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["recommendation"]["overall"] == "open"
    for artifact in ("model", "code", "dataset"):
        decision = report["recommendation"]["artifacts"][artifact]
        assert decision["tier"] == "open"
        assert decision["retention"] == "indefinite"
        assert decision["reasons"] == []
    assert report["declared"] == {"release": "open", "commercial": True}
    # Only what was identified: the licence file and the cards' licences,
    # and that the palette was trained from scratch (as its card says).
    assert {f["severity"] for f in report["findings"]} == {"info"}
    assert {f["id"] for f in report["findings"]} == {"license.detected", "training.from-scratch"}
    assert {f["evidence"] for f in report["findings"]
            if f["id"] == "license.detected"} == {"MIT"}
    assert report["bundle"]["files"] == 16


def test_unlicensed_unfilled_bundle_is_gated_and_fails_its_declared_intent(cli):
    result = cli("assess", UNLICENSED, "--format", "json")
    assert result.code == 1
    report = result.json()
    ids = finding_ids(report)
    assert ids.count("docs.license-missing") == 3
    assert "docs.card-placeholder" in ids
    assert "docs.dataset-card-missing" in ids
    missing = {f["artifact"]: f for f in report["findings"] if f["id"] == "docs.license-missing"}
    assert set(missing) == {"model", "code", "dataset"}
    assert missing["code"]["checkpoint"] == "model-code"
    assert missing["dataset"]["checkpoint"] == "dataset"
    placeholder = next(f for f in report["findings"] if f["id"] == "docs.card-placeholder")
    # The Hugging Face template leaves the risks section unanswered: medium.
    assert placeholder["severity"] == "medium"
    assert placeholder["count"] == len(placeholder["location"]["lines"]) > 20
    assert "Bias, Risks, and Limitations" in placeholder["message"]
    rec = report["recommendation"]
    assert rec["overall"] == "gated"
    for artifact in ("model", "code", "dataset"):
        decision = rec["artifacts"][artifact]
        assert decision["tier"] == "gated"
        assert any("license-missing" in r for r in decision["reasons"])
        assert any("LICENSE" in step for step in decision["to_lower"])


def test_terminal_report_groups_by_checkpoint_and_explains(cli):
    result = cli("assess", UNLICENSED)
    assert result.code == 1
    out = result.out
    positions = [out.index(title) for title in
                 ("Dataset", "Model code", "Training resources", "Publishing & attribution",
                  "Recommendation")]
    assert positions == sorted(positions)
    assert "docs.card-placeholder ×" in out
    assert "GATED" in out
    assert "to release more openly" in out
    assert "fails the gate" in out
    assert "\x1b[" not in out  # no colour when not writing to a terminal


def test_fail_on_gates_on_severity(cli, tmp_path):
    # Declared gated: the tier gate passes, so only --fail-on decides.
    bundle = tmp_path / "b"
    shutil.copytree(UNLICENSED, bundle)
    (bundle / "aiart-release.yaml").write_text("release: gated\n")
    assert cli("assess", bundle, "--format", "json").code == 0
    assert cli("assess", bundle, "--format", "json", "--fail-on", "high").code == 1
    assert cli("assess", bundle, "--format", "json", "--fail-on", "critical").code == 0
    (bundle / "aiart-release.yaml").write_text("release: gated\nfail_on: medium\n")
    assert cli("assess", bundle, "--format", "json").code == 1
    # The command line wins over the file.
    assert cli("assess", bundle, "--format", "json", "--fail-on", "none").code == 0


def test_output_file_and_json_is_deterministic(cli, tmp_path):
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    assert cli("assess", UNLICENSED, "-f", "json", "-o", first).code == 1
    assert cli("assess", UNLICENSED, "-f", "json", "-o", second, "--no-cache").code == 1
    one, two = json.loads(first.read_text()), json.loads(second.read_text())
    assert one.pop("timings") and two.pop("timings")
    assert one == two


def test_assessing_writes_nothing_inside_the_bundle(cli, tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(UNLICENSED, bundle)
    before = tree_state(bundle)
    cli("assess", bundle)
    cli("assess", bundle, "--format", "json")
    assert tree_state(bundle) == before


def test_cache_makes_a_second_run_reuse_results(tmp_path):
    bundle = make_bundle(tmp_path / "b", {f"data/t{i}.txt": f"mail me at a{i}@example.com\n"
                                          for i in range(5)})
    env = {"AIART_RELEASE_PLUGINS": "testplugins.echo_pii", "PYTHONPATH": str(TESTS),
           "AIART_RELEASE_CACHE_DIR": str(tmp_path / "cache")}
    first = run_tool("assess", bundle, "-f", "json", env=env)
    second = run_tool("assess", bundle, "-f", "json", env=env)
    a, b = json.loads(first.out), json.loads(second.out)
    assert a["findings"] == b["findings"]
    assert finding_ids(a).count("pii.test-email") == 5
    # Cached results cost no check time.
    assert b["timings"]["echo-emails"] == 0
    cached = b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert b"a1@example.com" not in cached and b"data/t1.txt" in cached


# Every usage error, one line and exit 2 each: tests/test_exit_codes.py.


def test_config_with_wrong_types_names_file_and_line(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "README.md": "# hi\n",
        "aiart-release.yaml": "release: open\ncommercial: maybe\nlimits:\n  sniff_bytes: 12\n",
    })
    result = cli("assess", bundle)
    assert result.code == 2
    assert "aiart-release.yaml:2:13: commercial:" in result.err and "boolean" in result.err
    assert "aiart-release.yaml:4:16: limits.sniff_bytes" in result.err
    assert "Traceback" not in result.err


def test_internal_error_is_one_line_without_debug_and_a_traceback_with_it(cli, monkeypatch):
    import aiart_release.pipeline as pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("secret@example.com")

    monkeypatch.setattr(pipeline, "gather_facts", broken)
    quiet = cli("assess", OWN_WORK)
    assert quiet.code == 3
    assert "internal error: RuntimeError" in quiet.err
    assert "Traceback" not in quiet.err and "secret@example.com" not in quiet.err
    loud = cli("assess", OWN_WORK, "--debug")
    assert loud.code == 3
    assert "Traceback" in loud.err


def test_init_writes_a_config_that_validates_and_refuses_to_overwrite(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"model/w.safetensors": SAFETENSORS})
    assert cli("init", bundle).code == 0
    assert (bundle / "aiart-release.yaml").is_file()
    assert cli("init", bundle).code == 2
    result = cli("assess", bundle, "-f", "json")
    assert result.json()["declared"] == {"release": "open", "commercial": False}


def test_version_and_help(cli):
    assert "aiart-release, version" in cli("--version").out
    result = cli("--help")
    assert result.code == 0
    for command in ("assess", "plugins", "hook", "init"):
        assert command in result.out


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from aiart_release.cli import main; "
        "main(['--help']); "
        "heavy = [m for m in "
        "('huggingface_hub', 'jsonschema', 'torch', 'spacy', 'presidio_analyzer') "
        "if m in sys.modules]; print('HEAVY', heavy)"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "HEAVY []" in out


def test_progress_bar_stays_off_when_stderr_is_not_a_terminal(tmp_path):
    result = run_tool("assess", OWN_WORK)
    assert result.code == 0
    assert result.err == ""


def test_single_symlink_loop_and_unreadable_files_are_findings_not_crashes(cli, tmp_path):
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT License\n", "notes.txt": "hello\n"})
    os.symlink(bundle, bundle / "loop")
    os.symlink(tmp_path / "missing", bundle / "dangling")
    result = cli("assess", bundle, "-f", "json")
    ids = finding_ids(result.json())
    assert "bundle.symlink-loop" in ids
    assert "bundle.unreadable" in ids
    assert result.json()["bundle"]["skipped"] == 2


def test_timeout_limits_the_whole_run_and_says_what_was_left(tmp_path):
    bundle = make_bundle(tmp_path / "b", {
        "aiart-release.yaml": "release: open\nlimits:\n  seconds_per_file: 600\n",
        "LICENSE": "MIT\n", "data/sleep.txt": "a caption\n", "data/note.txt": "a note\n",
    })
    env = {"AIART_RELEASE_PLUGINS": "testplugins.hostile_files", "PYTHONPATH": str(TESTS),
           "AIART_RELEASE_DISABLE_PLUGINS": "personal-data"}
    result = run_tool("assess", bundle, "-f", "json", "--no-cache", "--timeout", "2",
                      env=env, timeout=60)  # the check sleeps an hour on sleep.txt
    assert "Traceback" not in result.err
    assert "bundle.timeout" in finding_ids(result.json())


def test_core_groups_are_listed_and_run_though_imported_only_when_named(cli):
    """baseline, cache and export live in their own modules, imported when
    their name is on the command line (a hook run never loads them)."""
    help_ = cli("--help")
    for group in ("baseline", "cache", "export"):
        assert group in help_.out
    info = cli("cache", "info")
    assert info.code == 0 and "location:" in info.out
    assert "add" in cli("baseline", "--help").out


def test_a_plugin_cannot_take_the_name_of_a_core_group_not_yet_imported(cli, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.core_group_names")
    help_ = cli("--help")
    assert "command name(s) 'baseline', 'cache' already taken" in help_.err
    assert "replaced" not in cli("cache", "info").out
    assert cli("cache", "info").code == 0
