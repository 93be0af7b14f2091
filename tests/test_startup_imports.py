"""What a cached pre-commit hook run imports (issue 13: the hook should be
no slower than ``detect-secrets-hook`` on one staged text file).

A commit that stages one caption the cache already knows is all start-up:
every module imported is time the user waits for. Plugins import only what
registering their checks needs; what a check, a reader or a masker needs to
*scan* is imported when it scans. These tests run the hook as pre-commit
does (a fresh interpreter, in the repository) and read ``sys.modules``
after it: the speed itself is measured by ``benchmarks/hook.py --one-file``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_hook import CLEAN_CAPTION, GIT_ENV, new_repo

PROBE = ("import json, sys\nfrom aiart_release.entry import main\ncode = main(['hook'])\n"
         "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))\n")

# Never needed to judge a cached caption: the secrets masker's patterns come
# from the cache (detect-secrets imports requests), no model, image, table or
# NER library is touched.
NEVER = ("detect_secrets", "requests", "spacy", "presidio_analyzer", "torch", "cv2",
         "pyarrow", "PIL", "faker", "phonenumbers", "huggingface_hub", "mutagen", "c2pa",
         "cyclonedx", "pandas", "scipy",
         # numpy is imported by a search, not by hamming.NEAR_COPY_DISTANCE;
         # Faker's version is read from its dist-info name; the built-in rule
         # pack and policy are validated once (remembered beside the cache);
         # a reporter's module is imported when it renders.
         "numpy", "importlib.metadata", "jsonschema", "rich",
         # The YAML read on every run (the shipped data, the policy, the rule
         # packs) is remembered as JSON; the pool's and the OCR engine's
         # modules are imported where they start.
         "yaml", "multiprocessing", "logging",
         # The core's command groups the hook does not run.
         "aiart_release.baseline_cli", "aiart_release.cache_cli", "aiart_release.export_cli",
         # The composition summary: the hook shows none.
         "aiart_release.composition",
         # What a plugin's check needs to scan, when the view holds nothing
         # it reads (a caption): registering imports only the declarations.
         "aiart_release.default_plugins.media.faces", "aiart_release.readers.ocr",
         "aiart_release.default_plugins.provenance.manifest",
         "aiart_release.default_plugins.provenance.evidence",
         "aiart_release.default_plugins.provenance.optout",
         "aiart_release.default_plugins.provenance.tools",
         "aiart_release.default_plugins.provenance.scraping",
         "aiart_release.default_plugins.provenance.credits",
         "html", "aiart_release.placement",
         "aiart_release.default_plugins.cards.reading",
         "aiart_release.default_plugins.cards.people_described",
         "aiart_release.default_plugins.cards.pseudonymous",
         "aiart_release.default_plugins.training.analysis",
         "aiart_release.default_plugins.training.declared",
         "aiart_release.default_plugins.training.estimate",
         "aiart_release.default_plugins.training.tables",
         *(f"aiart_release.default_plugins.licensing.{name}" for name in (
             "scan", "sources", "stated", "base_models", "known_datasets", "readme",
             "sections", "identify", "normalize", "modified")),
         "aiart_release.default_plugins.memorisation.text_overlap",
         *(f"aiart_release.default_plugins.model_files.{name}" for name in (
             "containers", "formats", "pickles", "load_code")),
         *(f"aiart_release.default_plugins.generation.{name}" for name in (
             "compare", "runner", "child")),
         "aiart_release.hamming", "aiart_release.readers.gguf", "aiart_release.license_catalog",
         "aiart_release.spdx",
         # Cutting a table into parts, and the table and weights readers:
         # for a bundle with a table or weights.
         "aiart_release.executors.parts", "aiart_release.readers.tables",
         "aiart_release.readers.safetensors", "csv",
         # A TOML configuration's reader, the suggestions for a misspelt key
         # and a failed check's traceback: when there is one.
         "tomllib", "difflib", "traceback",
         # The command line's library and every other command's definition:
         # the hook's command line is read without them (entry.py).
         "click", "aiart_release.cli")
# Imported today by core modules; each says what lets it go. Marked as
# expected failures, strictly: once the change is made the test passes,
# fails as an unexpected pass, and the module moves to NEVER.
NOT_YET: dict[str, str] = {}


def _cached_hook_modules(tmp_path: Path) -> set[str]:
    """The modules a second hook run (the cache warm) has imported: a full
    run, every plugin loaded and every result from the result cache. Each
    run sets another AIART_RELEASE_* variable, which is part of the stored
    verdict's key, so the second is not answered by the first's verdict
    (which loads no plugin at all: tests/test_hook_verdict.py)."""
    repo = new_repo(tmp_path / "r", {"data/caption.txt": CLEAN_CAPTION},
                    staged=("data/caption.txt",))
    env = {**os.environ, **GIT_ENV, "AIART_RELEASE_CACHE_DIR": str(tmp_path / "cache")}
    for run in range(2):  # the first run fills the cache and the derived tables
        proc = subprocess.run([sys.executable, "-c", PROBE], cwd=repo,
                              env={**env, "AIART_RELEASE_PROBE_RUN": str(run)},
                              capture_output=True, text=True, timeout=300)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, proc.stderr
    assert "aiart_release.pipeline" in result["modules"]  # the full run, not a verdict
    return {name.split(".")[0] for name in result["modules"]} | set(result["modules"])


@pytest.fixture(scope="module")
def cached_hook_modules(tmp_path_factory) -> set[str]:
    return _cached_hook_modules(tmp_path_factory.mktemp("startup"))


@pytest.mark.parametrize("module", [
    *NEVER,
    *(pytest.param(module, marks=pytest.mark.xfail(strict=True, reason=why))
      for module, why in sorted(NOT_YET.items())),
])
def test_a_cached_hook_on_one_caption_does_not_import(cached_hook_modules, module):
    assert module not in cached_hook_modules


def test_the_secrets_masker_reads_its_patterns_from_the_cache(tmp_path):
    """The masker's patterns and prefilter are kept beside the cache: a
    second process masks the same secret without importing detect-secrets."""
    from test_secrets import AZURE_KEY

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from aiart_release.cache import allow_derived\n"
        "from aiart_release.masking import Gate\n"
        "from plugins.secrets.maskers import secret_spans\n"
        f"allow_derived(Path(sys.argv[1]))\n"
        f"text = 'AccountKey={AZURE_KEY}; nothing else'\n"
        "print(Gate([('secrets', secret_spans)]).redact(text))\n"
        "print('detect_secrets' in sys.modules)\n")
    runs = [subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                           text=True, cwd=Path(__file__).resolve().parent.parent, timeout=120)
            for _ in range(2)]
    (first_masked, first_loaded), (second_masked, second_loaded) = (
        run.stdout.strip().rsplit("\n", 1) for run in runs)
    assert AZURE_KEY[:20] not in first_masked and first_masked == second_masked
    assert first_masked.startswith("AccountKey=")
    assert (first_loaded, second_loaded) == ("True", "False")
    assert len(list((tmp_path / "derived").glob("secrets-masker-*.txt"))) == 1


def test_a_first_hook_run_on_a_new_plain_caption_loads_neither_spacy_nor_detect_secrets(
        tmp_path):
    """A caption new to the cache, in which no built-in recognizer could
    find anything (no digit, "@", name candidate, credit cue or trait
    term), is judged without spaCy and Presidio (tests/test_pii_gate.py
    checks that promise against the analyzer); no line of it holds a word
    a secrets plugin needs, so detect-secrets is not loaded either (the
    secrets check's line prefilter, kept beside the cache). The example plugin that
    ``make test`` installs contributes a recognizer, which would turn the
    shortcut off: it is disabled here, as a user without it would run."""
    repo = new_repo(tmp_path / "r", {"data/caption.txt": CLEAN_CAPTION},
                    staged=("data/caption.txt",))
    env = {**os.environ, **GIT_ENV, "AIART_RELEASE_CACHE_DIR": str(tmp_path / "cache"),
           "AIART_RELEASE_DISABLE_PLUGINS": "studio"}
    modules = []
    for caption in (CLEAN_CAPTION, "a lighthouse on a cliff, gulls overhead\n"):
        (repo / "data" / "caption.txt").write_text(caption)
        subprocess.run(["git", "add", "data/caption.txt"], cwd=repo, env=env, check=True)
        proc = subprocess.run([sys.executable, "-c", PROBE], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=300)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["code"] == 0, proc.stderr
        modules.append(set(result["modules"]))
    # The second caption was scanned (the checks' gates decided on it), not
    # answered by the cache, and neither library was imported.
    assert {"aiart_release.default_plugins.personal_data.analyzer",
            "aiart_release.default_plugins.secrets.check"} <= modules[1]
    assert not {"spacy", "presidio_analyzer", "torch", "detect_secrets", "requests",
                "yaml"} & modules[1]
