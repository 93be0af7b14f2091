"""The plugin engine: entry-point discovery, every hook, and plugins that
fail in every way a plugin can."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, SAFETENSORS, TESTS, finding_ids, make_bundle, run_tool

from aiart_release import hookspecs
from aiart_release.plugins import build_registry

HOOK_NAMES = sorted(name for name in dir(hookspecs) if name.startswith("aiart_release_"))


def _plugin_env(*modules: str) -> dict[str, str]:
    return {"AIART_RELEASE_PLUGINS": ",".join(modules), "PYTHONPATH": str(TESTS)}


# --- the contract ----------------------------------------------------------

def test_there_are_hooks_for_checks_rules_recognizers_reporters_and_classification():
    assert HOOK_NAMES == [
        "aiart_release_classify_file",
        "aiart_release_credits",
        "aiart_release_register_checks",
        "aiart_release_register_commands",
        "aiart_release_register_maskers",
        "aiart_release_register_recognizers",
        "aiart_release_register_reporters",
        "aiart_release_register_rules",
    ]


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_is_documented(hook):
    docs = (ROOT / "docs" / "plugins.md").read_text()
    heading = re.search(rf"^#+ `?{hook}", docs, re.MULTILINE)
    assert heading, f"{hook} has no heading in docs/plugins.md"


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_has_a_test(hook):
    # As datasette does: each hook needs a test named test_hook_<name>.
    wanted = "def test_hook_" + hook.removeprefix("aiart_release_") + "("
    assert any(wanted in p.read_text() for p in TESTS.glob("test_*.py")), (
        f"no test named {wanted[4:-1]}"
    )


def test_builtin_plugins_have_no_pending_hooks_and_all_hookspecs_are_documented_functions():
    registry = build_registry()
    registry.pm.check_pending()
    assert registry.failures == []
    for hook in HOOK_NAMES:
        assert getattr(hookspecs, hook).__doc__, f"{hook} has no docstring"


def test_builtins_load_through_the_entry_point_group():
    names = {ep.name: ep for ep in metadata.entry_points(group="aiart_release")}
    for builtin in ("file-kinds", "reporters", "license-presence", "cards"):
        assert names[builtin].dist.metadata["Name"] == "aiart-release"
    registry = build_registry()
    info = {p.name: p for p in registry.plugins}
    assert info["cards"].builtin and info["cards"].checks == ["cards"]
    assert "aiart_release_classify_file" in info["file-kinds"].hooks


def test_builtin_formats_are_registered_by_report_through_the_hook_without_a_wrapper():
    """report/ holds the renderers and registers them as a third party would."""
    from aiart_release.report import json_report, terminal

    names = {ep.name: ep for ep in metadata.entry_points(group="aiart_release")}
    assert names["reporters"].value == "aiart_release.report"
    registry = build_registry()
    assert registry.plugin("reporters").hooks == ["aiart_release_register_reporters"]
    # Each render imports its module when first called.
    assert registry.reporters["terminal"].render.__module__ == terminal.__name__
    assert registry.reporters["json"].render.__module__ == json_report.__name__


# --- a real third-party package --------------------------------------------

def test_third_party_package_is_discovered_through_its_entry_point(monkeypatch):
    monkeypatch.delenv("AIART_RELEASE_PLUGINS", raising=False)
    eps = [ep for ep in metadata.entry_points(group="aiart_release") if ep.name == "studio"]
    assert eps, "make test installs examples/plugins/aiart-release-studio with pip"
    assert eps[0].dist.metadata["Name"] == "aiart-release-studio"
    # Installed as a distribution, not imported from the source tree.
    import aiart_release_studio

    assert "site-packages" in aiart_release_studio.__file__
    registry = build_registry()
    studio = registry.plugin("studio")
    assert studio.dist == "aiart-release-studio" and studio.version == "0.2.0"
    assert not studio.builtin
    assert studio.checks == ["studio-working-files"]
    assert set(studio.hooks) == {"aiart_release_classify_file", "aiart_release_register_checks",
                                 "aiart_release_register_recognizers",
                                 "aiart_release_register_rules"}


def test_plugins_command_lists_name_version_hooks_and_checks(cli):
    result = cli("plugins", "--json")
    assert result.code == 0
    listed = {p["name"]: p for p in json.loads(result.out)["plugins"]}
    assert listed["studio"]["version"] == "0.2.0"
    assert listed["studio"]["distribution"] == "aiart-release-studio"
    assert listed["reporters"]["reporters"] == [
        "croissant", "cyclonedx", "hf-gating", "html", "json", "markdown", "sarif", "terminal"]
    table = cli("plugins").out
    for word in ("studio", "aiart-release-studio", "studio-working-files", "built-in",
                 "classify_file"):
        assert word in table


def test_hook_register_checks(cli, tmp_path):
    """A third-party check and classifier (aiart-release-studio) run in assess."""
    kra = tmp_path / "poster.kra"
    with zipfile.ZipFile(kra, "w") as archive:
        archive.writestr("mimetype", "application/x-krita")
        archive.writestr("maindoc.xml", "<DOC/>")
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT License\n",
        "art/poster.kra": kra.read_bytes(),
        # Named like a Krita file, but it is not one: no finding.
        "art/fake.kra": b"just text",
    })
    report = cli("assess", bundle, "-f", "json").json()
    hits = [f for f in report["findings"] if f["id"] == "image.layered-source"]
    assert [f["location"]["path"] for f in hits] == ["art/poster.kra"]
    assert hits[0]["check"] == "studio-working-files"
    assert any(p.startswith("studio ") for p in report["tool"]["plugins"])


# --- broken plugins --------------------------------------------------------

@pytest.fixture
def broken_entry_point(tmp_path) -> dict[str, str]:
    """A real installed distribution whose entry point names a missing module."""
    site = tmp_path / "site"
    dist = site / "aiart_release_broken-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: aiart-release-broken\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[aiart_release]\nbroken = aiart_release_missing_mod\n")
    return {"PYTHONPATH": str(site)}


def test_broken_entry_point_does_not_crash_help_plugins_or_assess(broken_entry_point):
    help_ = run_tool("--help", env=broken_entry_point)
    assert help_.code == 0 and "assess" in help_.out
    plugins = run_tool("plugins", env=broken_entry_point)
    assert plugins.code == 0
    assert "warning: plugin 'broken' failed (load): ModuleNotFoundError" in plugins.err
    assert "FAILED" in plugins.out and "cards" in plugins.out
    assess = run_tool("assess", EXAMPLES / "own-work", "-f", "json", env=broken_entry_point)
    assert "Traceback" not in assess.err
    report = json.loads(assess.out)
    failed = [f for f in report["findings"] if f["id"] == "plugin.load-failed"]
    assert len(failed) == 1 and "broken" in failed[0]["message"]
    # The assessment is incomplete, so it is not recommended open.
    assert report["recommendation"]["overall"] == "gated"
    assert assess.code == 1
    strict = run_tool("assess", EXAMPLES / "own-work", "--strict", env=broken_entry_point)
    assert strict.code == 3


def test_a_broken_plugin_can_be_disabled_by_name(broken_entry_point):
    env = {**broken_entry_point, "AIART_RELEASE_DISABLE_PLUGINS": "broken"}
    result = run_tool("assess", EXAMPLES / "own-work", env=env)
    assert result.code == 0 and result.err == ""


def test_a_misspelled_hook_is_reported_not_ignored():
    registry = build_registry(extra=[("misspelled", _module("misspelled"))])
    failure = next(f for f in registry.failures if f.plugin == "misspelled")
    assert failure.stage == "register"
    assert "aiart_release_register_check" in failure.error


def test_a_duplicate_check_id_is_reported_and_the_first_one_kept():
    registry = build_registry(extra=[("duplicate", _module("duplicate"))])
    failure = next(f for f in registry.failures if f.plugin == "duplicate")
    assert "already registered by plugin 'cards'" in failure.error
    assert type(registry.checks["cards"]).__name__ == "Cards"


def _module(name: str):
    import importlib

    return importlib.import_module(f"testplugins.{name}")


# --- each hook, used -------------------------------------------------------

def test_hook_register_reporters(cli, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.extras")
    result = cli("assess", EXAMPLES / "unlicensed-unfilled", "--format", "count")
    assert result.out.strip().endswith("finding(s)")
    assert int(result.out.split()[0]) >= 5


def test_hook_register_rules(cli, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.extras")
    report = cli("assess", EXAMPLES / "unlicensed-unfilled", "-f", "json").json()
    scenario = next(s for s in report["scenarios"] if s["id"] == "misuse.test-unlicensed-model")
    assert scenario["pack"] == "test-pack 1.0.0"
    assert any("docs.license-missing" in b for b in scenario["because"])
    model = report["recommendation"]["artifacts"]["model"]
    assert model["tier"] == "closed"
    assert any("misuse.test-unlicensed-model" in r for r in model["reasons"])
    # The own-work bundle has a licence: the rule does not fire.
    clean = cli("assess", EXAMPLES / "own-work", "-f", "json").json()
    assert clean["scenarios"] == []


def test_hook_register_recognizers():
    from testplugins import extras

    extras.FACTORY_CALLS.clear()  # an assessment earlier in this process may have run it
    registry = build_registry(extra=[("extras", extras)])
    assert ("extras", extras.recognizer_factory) in registry.recognizer_factories
    assert extras.FACTORY_CALLS == []  # Presidio is not loaded just by loading plugins
    assert registry.plugin("extras").recognizers == 1


def test_hook_register_commands(cli, monkeypatch):
    """A plugin adds commands and groups; a name the core has stays the core's."""
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.commands")
    help_ = cli("--help")
    assert help_.code == 0
    assert "greet" in help_.out and "studio" in help_.out and "Studio tools." in help_.out
    assert "warning: plugin 'testplugins.commands' failed (register_commands)" in help_.err
    assert "'assess' already taken" in help_.err
    assert cli("greet", "Ada").out == "hello Ada\n"
    assert cli("studio", "sync").out == "synced\n"
    assert "replaced" not in cli("assess", EXAMPLES / "own-work", "-f", "json").out
    listed = {p["name"]: p for p in json.loads(cli("plugins", "--json").out)["plugins"]}
    assert listed["testplugins.commands"]["commands"] == ["greet", "studio"]
    assert listed["provenance"]["commands"] == ["credits"]


def test_a_plugin_whose_commands_hook_raises_does_not_break_help(cli, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.broken_commands")
    help_ = cli("--help")
    assert help_.code == 0 and "assess" in help_.out and "credits" in help_.out
    assert ("plugin 'testplugins.broken_commands' failed (register_commands): "
            "RuntimeError: no commands today") in help_.err
    assert cli("nonesuch").code == 2


def test_built_in_commands_do_not_collect_plugin_commands(monkeypatch):
    from aiart_release import plugins

    def refuse(*args, **kwargs):
        raise AssertionError("plugin commands collected for a built-in command")

    monkeypatch.setattr(plugins, "collect_commands", refuse)
    from aiart_release.cli import main

    assert main(["init", "--help"]) == 0


def test_help_loads_the_plugins_but_collects_no_checks(monkeypatch, capsys):
    """--help needs the plugins' commands only: no check module is imported
    for it (the start-up budget, benchmarks/startup.py)."""
    from aiart_release import plugins

    def refuse(registry):
        raise AssertionError("checks, reporters and rules collected for --help")

    monkeypatch.setattr(plugins, "_collect", refuse)
    from aiart_release.cli import main

    assert main(["--help"]) == 0
    assert "credits" in capsys.readouterr().out


def test_hook_classify_file(cli, tmp_path, monkeypatch):
    bundle = make_bundle(tmp_path / "b", {"song.lyrics": "la la\n", "LICENSE": "MIT\n"})
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.failing,testplugins.extras")
    (bundle / "song.lyrics").write_text("BOOM\n")
    report = cli("assess", bundle, "-f", "json").json()
    # Only a file classified as text reaches the 'explodes' check.
    failed = [f for f in report["findings"] if f["id"] == "plugin.check-failed"]
    assert [f["location"]["path"] for f in failed] == ["song.lyrics"]


def test_a_classifier_answering_an_unknown_kind_is_a_plugin_failure(cli, tmp_path, monkeypatch):
    """An unknown kind reaches no check: the answer is reported and the file
    goes to the next classifier (here the built-in one), not out of sight."""
    from testplugins import oddkind

    from aiart_release.bundle import build_inventory

    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "song.lyrics": "la la\n", "tune.score": "do re mi\n",
    })
    registry = build_registry(extra=[("oddkind", oddkind)])
    inventory = build_inventory(bundle, registry.classify)
    kinds = {f.path: f.kind for f in inventory.files}
    assert kinds["song.lyrics"] == "text" and kinds["tune.score"] == "text"
    [failure] = registry.failures  # one per plugin and stage, not one per file
    assert (failure.plugin, failure.stage) == ("oddkind", "classify_file")
    assert "'lyrics'" in failure.error and "song.lyrics" in failure.error

    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.oddkind")
    report = cli("assess", bundle, "-f", "json").json()
    failed = [f for f in report["findings"] if f["id"].startswith("plugin.")]
    assert len(failed) == 1 and "classify_file" in failed[0]["message"]
    assert failed[0]["id"] == "plugin.load-failed" and "'lyrics'" in failed[0]["message"]


# --- checks that fail, checks on the accelerator ----------------------------

def test_a_check_that_raises_becomes_a_finding_and_the_run_goes_on(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.failing")
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "a.txt": "fine\n", "b.txt": "BOOM jane@example.com\n",
        "model/w.safetensors": SAFETENSORS,
    })
    result = cli("assess", bundle, "-f", "json")
    report = result.json()
    failed = [f for f in report["findings"] if f["id"] == "plugin.check-failed"]
    assert len(failed) == 1
    assert failed[0]["location"]["path"] == "b.txt"
    assert "ValueError" in failed[0]["message"]
    assert "jane@example.com" not in result.out + result.err  # the exception quoted content
    # Other checks still ran.
    assert "docs.model-card-missing" in finding_ids(report)
    assert cli("assess", bundle, "--strict").code == 3
    debug = cli("assess", bundle, "--debug", "-f", "json")
    assert "Traceback" in debug.err and "ValueError" in debug.err


@pytest.mark.parametrize("device, expected", [("cpu", "ran on cpu"), ("auto", None)])
def test_accelerator_checks_run_on_the_chosen_device(cli, tmp_path, monkeypatch, device, expected):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.accelerated")
    bundle = make_bundle(tmp_path / "b", {"model/w.safetensors": SAFETENSORS, "LICENSE": "MIT\n"})
    report = cli("assess", bundle, "-f", "json", "--device", device).json()
    probe = next(f for f in report["findings"] if f["id"] == "model.device-probe")
    from aiart_release.device import resolve_device

    assert probe["message"] == (expected or f"ran on {resolve_device('auto').device}")
    assert report["devices"] == {"device-probe": expected[7:] if expected
                                 else resolve_device("auto").device}


def test_an_unavailable_cuda_device_skips_accelerator_checks_and_says_so(cli, tmp_path,
                                                                         monkeypatch):
    from aiart_release.device import resolve_device

    if resolve_device("cuda:7").available:
        pytest.skip("this machine has eight CUDA devices")
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.accelerated")
    bundle = make_bundle(tmp_path / "b", {"model/w.safetensors": SAFETENSORS, "LICENSE": "MIT\n"})
    result = cli("assess", bundle, "-f", "json", "--device", "cuda:7")
    skipped = [f for f in result.json()["findings"] if f["id"] == "plugin.check-skipped"]
    assert len(skipped) == 1 and "cuda:7 is not available" in skipped[0]["message"]
    assert result.code == 0


def test_accelerator_bundle_checks_get_the_device_trust_and_model(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.accelerated_bundle")
    bundle = make_bundle(tmp_path / "b", {
        "LICENSE": "MIT\n", "model/w.safetensors": SAFETENSORS,
        "aiart-release.yaml": "model:\n  generator: gen:make\n  weights: model/w.safetensors\n"
                              "checks:\n  bundle-device-probe:\n    time_limit: 42\n"})
    plain = cli("assess", bundle, "-f", "json", "--device", "cpu").json()
    [probe] = [f for f in plain["findings"] if f["id"] == "model.bundle-device-probe"]
    assert probe["message"] == ("ran on cpu; trusted False; model gen:make; time limit 42")
    assert plain["devices"] == {"bundle-device-probe": "cpu"}
    trusted = cli("assess", bundle, "-f", "json", "--device", "cpu", "--trust-bundle-code").json()
    assert "trusted True" in next(f["message"] for f in trusted["findings"]
                                  if f["id"] == "model.bundle-device-probe")


def test_an_unavailable_cuda_device_skips_accelerator_bundle_checks(cli, tmp_path, monkeypatch):
    from aiart_release.device import resolve_device

    if resolve_device("cuda:7").available:
        pytest.skip("this machine has eight CUDA devices")
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.accelerated_bundle")
    bundle = make_bundle(tmp_path / "b", {"LICENSE": "MIT\n", "notes.txt": "hi\n"})
    result = cli("assess", bundle, "-f", "json", "--device", "cuda:7", "--strict")
    report = result.json()
    skipped = [f for f in report["findings"] if f["check"] == "bundle-device-probe"]
    assert [f["id"] for f in skipped] == ["plugin.check-skipped"]
    assert "cuda:7 is not available" in skipped[0]["message"]
    assert skipped[0]["location"]["path"] == "." and skipped[0]["artifact"] == "model"
    assert "devices" not in report
    assert result.code == 0  # skipped is not failed, even under --strict


def test_the_bundle_context_is_read_only(tmp_path):
    import dataclasses

    from aiart_release.bundle import Inventory
    from aiart_release.checks import BundleContext

    ctx = BundleContext(inventory=Inventory(root=tmp_path), facts=None)
    assert ctx.device == "cpu" and ctx.trust_bundle_code is False and ctx.model is None
    for name, value in (("trust_bundle_code", True), ("model", object()), ("device", "cuda")):
        with pytest.raises((dataclasses.FrozenInstanceError, AttributeError)):
            setattr(ctx, name, value)


def test_cuda_device_is_used_when_present(cli, tmp_path, monkeypatch):
    from aiart_release.device import resolve_device

    if not resolve_device("auto").device.startswith("cuda"):
        pytest.skip("no CUDA device on this machine")
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.accelerated")
    bundle = make_bundle(tmp_path / "b", {"model/w.safetensors": SAFETENSORS})
    report = cli("assess", bundle, "-f", "json", "--device", "cuda").json()
    probe = next(f for f in report["findings"] if f["id"] == "model.device-probe")
    assert probe["message"] == "ran on cuda:0"


def test_parallel_and_serial_runs_give_the_same_findings(tmp_path):
    files = {f"data/part{i:03d}.txt": f"line one\ncontact x{i}@example.org now\n"
             for i in range(80)}
    files["LICENSE"] = "MIT\n"
    bundle = make_bundle(tmp_path / "b", files)
    env = {**_plugin_env("testplugins.echo_pii"), "AIART_RELEASE_CACHE_DIR": str(tmp_path / "c")}
    serial = run_tool("assess", bundle, "-f", "json", "--jobs", "1", "--no-cache", env=env)
    parallel = run_tool("assess", bundle, "-f", "json", "--jobs", "2", "--no-cache", env=env)
    a, b = json.loads(serial.out), json.loads(parallel.out)
    assert a["findings"] == b["findings"]
    assert finding_ids(a).count("pii.test-email") == 80


# --- raw values stay masked -------------------------------------------------

def test_raw_values_never_reach_any_output_unless_show_pii(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AIART_RELEASE_PLUGINS", "testplugins.echo_pii")
    secret = "maria.gonzalez@example.net"
    bundle = make_bundle(tmp_path / "b", {"data/captions.txt": f"portrait by {secret}\n",
                                          "LICENSE": "MIT\n"})
    outputs = [cli("assess", bundle, "-f", fmt) for fmt in ("terminal", "json")]
    for result in outputs:
        assert secret not in result.out + result.err
        assert "m***@***" in result.out
    cache_dir = Path(__import__("os").environ["AIART_RELEASE_CACHE_DIR"])

    def cached() -> bytes:  # the database's bytes
        return b"".join(p.read_bytes() for p in cache_dir.rglob("*") if p.is_file())

    assert b"pii.test-email" in cached() and secret.encode() not in cached()
    shown = cli("assess", bundle, "-f", "json", "--show-pii")
    assert secret in shown.out
    assert secret.encode() not in cached()


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "aiart_release", "--version"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "aiart-release" in proc.stdout


# --- discovery without importlib.metadata (start-up, issue 13) -----------------

def _site_with_plugins(site: Path) -> Path:
    """A folder of installed distributions as pip leaves them: a dist-info
    with the group among others and a comment, an egg-info, a dist-info of
    another group only, and a second copy of a name (the first wins)."""
    def dist(folder: str, metadata_name: str, headers: str, entry_points: str | None) -> None:
        path = site / folder
        path.mkdir(parents=True)
        (path / metadata_name).write_text(headers + "\nA description: not a header\n")
        if entry_points is not None:
            (path / "entry_points.txt").write_text(entry_points)

    dist("aiart_release_extra-1.2.dist-info", "METADATA",
         "Metadata-Version: 2.1\nName: aiart-release-extra\nVersion: 1.2\n",
         "[console_scripts]\nextra = x:main\n\n# a comment\n[aiart_release]\n"
         "extra = aiart_release_extra.plugin:hooks\n  # indented\n"
         "extra-two = aiart_release_extra\n")
    dist("Legacy.Plugin.egg-info", "PKG-INFO",
         "Metadata-Version: 1.0\nName: Legacy.Plugin\nVersion: 0.3\n",
         "[aiart_release]\nlegacy=legacy_plugin\n")
    dist("other_tool-2.0.dist-info", "METADATA", "Name: other-tool\nVersion: 2.0\n",
         "[pytest11]\nother = other_tool\n")
    dist("no_entry_points-1.0.dist-info", "METADATA", "Name: no-entry-points\nVersion: 1.0\n",
         None)
    later = site / "later"
    later.mkdir()
    (later / "aiart_release_extra-9.9.dist-info").mkdir()
    (later / "aiart_release_extra-9.9.dist-info" / "METADATA").write_text(
        "Name: aiart-release-extra\nVersion: 9.9\n")
    (later / "aiart_release_extra-9.9.dist-info" / "entry_points.txt").write_text(
        "[aiart_release]\nshadowed = never_loaded\n")
    return later


def _as_tuples(eps) -> list[tuple]:
    return sorted((ep.name, ep.value, ep.dist, ep.version) for ep in eps)


def test_entry_points_are_found_as_importlib_metadata_finds_them(tmp_path, monkeypatch):
    from aiart_release import plugins

    later = _site_with_plugins(tmp_path / "site")
    monkeypatch.syspath_prepend(str(later))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    ours = _as_tuples(plugins._read_entry_points())
    assert ours == _as_tuples(plugins._metadata_entry_points())
    assert ("extra", "aiart_release_extra.plugin:hooks", "aiart-release-extra", "1.2") in ours
    assert ("legacy", "legacy_plugin", "Legacy.Plugin", "0.3") in ours
    assert not any(name in ("shadowed", "other") for name, *_ in ours)
    assert ("cards", "aiart_release.default_plugins.cards", "aiart-release",
            metadata.version("aiart-release")) in ours


def test_a_zip_on_the_path_is_left_to_importlib_metadata(tmp_path, monkeypatch):
    from aiart_release import plugins

    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("zipped_plugin-0.1.dist-info/METADATA", "Name: zipped-plugin\nVersion: 0.1\n")
        out.writestr("zipped_plugin-0.1.dist-info/entry_points.txt",
                     "[aiart_release]\nzipped = zipped_plugin\n")
    monkeypatch.syspath_prepend(str(archive))
    found = _as_tuples(plugins._discover())
    assert ("zipped", "zipped_plugin", "zipped-plugin", "0.1") in found


def test_an_entry_point_loads_its_module_and_attribute():
    from aiart_release.plugins import EntryPoint

    assert EntryPoint("x", "aiart_release.report").load().__name__ == "aiart_release.report"
    loaded = EntryPoint("x", "aiart_release.plugins:EntryPoint.load").load()
    assert loaded is EntryPoint.load
    with pytest.raises(ValueError, match="not 'module'"):
        EntryPoint("x", "not a module path!").load()


def test_installed_versions_are_read_from_folder_names():
    from aiart_release.plugins import installed_version

    for name in ("detect-secrets", "Faker", "click", "aiart-release"):
        assert installed_version(name) == metadata.version(name)
    assert installed_version("surely-not-installed-anywhere") is None


def test_plugin_discovery_does_not_import_importlib_metadata():
    code = ("import sys; from aiart_release.plugins import build_registry; "
            "r = build_registry(); print(len(r.plugins), 'importlib.metadata' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120).stdout.split()
    assert int(out[0]) >= 14 and out[1] == "False"


def test_a_number_setting_is_its_default_unless_a_number_of_its_type_in_range():
    from aiart_release.checks import number_setting

    whole = [number_setting({"n": value}, "n", 8, 0, 32)
             for value in (12, 0, 32, 33, -1, 12.0, True, "12", None)]
    assert whole == [12, 0, 32, 8, 8, 8, 8, 8, 8]
    assert number_setting({}, "n", 8, 0, 32) == 8
    share = [number_setting({"s": value}, "s", 0.5, 0.0, 1.0)
             for value in (1, 0.25, 1.5, False, "0.3")]
    assert share == [1.0, 0.25, 0.5, 0.5, 0.5]
