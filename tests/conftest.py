"""Shared fixtures: run the CLI as a user would, on bundles a user would have."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from aiart_release.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TESTS = Path(__file__).resolve().parent
TOOL = Path(sys.executable).parent / "aiart-release"
# The smallest valid safetensors file: an 8-byte header length, then "{}".
SAFETENSORS = (2).to_bytes(8, "little") + b"{}"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    """Every test gets its own cache and no plugin or debug settings from the
    developer's shell."""
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    for name in ("AIART_RELEASE_PLUGINS", "AIART_RELEASE_DISABLE_PLUGINS",
                 "AIART_RELEASE_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys):
    """Run ``aiart-release ARGS`` in-process; returns exit code and output."""

    def run(*args) -> Result:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_tool(*args, env: dict[str, str] | None = None, cwd: Path | None = None,
             timeout: int = 120) -> Result:
    """Run the installed ``aiart-release`` in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def make_bundle(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> content) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def tree_state(root: Path) -> dict[str, tuple[str, int]]:
    """Content hash and mtime of every file, to show nothing was written."""
    state = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            state[path.relative_to(root).as_posix()] = (
                hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return state


def finding_ids(report: dict) -> list[str]:
    return sorted(f["id"] for f in report["findings"])


# --- hostile content, shared by the hostile-input tests ----------------------

def yaml_bomb(levels: int = 10, indent: str = "") -> str:
    """'Billion laughs' in YAML: each level refers to the one above nine times."""
    lines = [f'{indent}a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"{indent}a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def nested_json(depth: int) -> str:
    """A JSON list nested ``depth`` levels deep."""
    return "[" * depth + "]" * depth
