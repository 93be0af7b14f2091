"""The progress bar: on stderr, only when stderr is a terminal, only for runs
longer than about a second, and never mixed into the report on stdout."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from conftest import TESTS, TOOL, make_bundle


def _run_with_terminal_stderr(bundle, env) -> tuple[int, str, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(TOOL), "assess", str(bundle), "-f", "json", "--no-cache",
                             "--jobs", "1"],
                            stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_a_long_run_shows_progress_on_a_terminal_stderr(tmp_path):
    # 120 files at 20 ms each, one worker: well over the one-second delay.
    bundle = make_bundle(tmp_path / "b", {f"t{i:03d}.txt": "x\n" for i in range(120)})
    env = {**os.environ, "AIART_RELEASE_PLUGINS": "testplugins.slow", "PYTHONPATH": str(TESTS),
           "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    code, out, err = _run_with_terminal_stderr(bundle, env)
    assert code == 0
    assert "assessing" in err
    assert out.lstrip().startswith("{") and "assessing" not in out


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    bundle = make_bundle(tmp_path / "b", {f"t{i:03d}.txt": "x\n" for i in range(90)})
    env = {**os.environ, "AIART_RELEASE_PLUGINS": "testplugins.slow", "PYTHONPATH": str(TESTS)}
    proc = subprocess.run([str(TOOL), "assess", str(bundle), "--no-cache"], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 0 and proc.stderr == ""
    assert sys.platform  # the report itself went to stdout
    assert "Recommendation" in proc.stdout
