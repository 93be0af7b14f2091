"""Identifying licence files: this check against ScanCode, in one run.

    python benchmarks/licenses.py [--files 1000] [--scancode PATH]

Writes N licence files made from the texts of the SPDX License List (the
`spdx-license-list` npm package, CC0-1.0, fetched with `npm pack` into
build/ when missing), each with its own copyright line and line wrapping,
so the answer for each file is known. Then:

  (a) identifies them with this tool (`identify_text`, index load included);
  (a2) reads them as the licence check does (`sections.parts`: every licence
      of the file with its scope, and whether the text was modified), and
      counts false alarms on these standard texts: a file cut into more than
      one licence, or reported as a modified licence;
  (b) runs `scancode --license` on the same folder, where scancode-toolkit is
      installed (it installs from the package index; with pluggy < 1.1:
      `python -m venv build/scancode && build/scancode/bin/pip install
      scancode-toolkit "pluggy<1.1"`).

Prints the time of each, the ratio, and the precision and recall of both
against the known answers. SPDX ids whose texts are the same words
(GPL-3.0-only / -or-later, the GFDL variants) count as one answer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM_PACKAGE = "spdx-license-list@6.12.0"


def spdx_texts(path: Path | None) -> dict[str, str]:
    if path is None:
        build = ROOT / "build" / "spdx-license-list"
        path = build / "package" / "spdx-full.json"
        if not path.exists():
            build.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=build, check=True)
            archive = next(build.glob("spdx-license-list-*.tgz"))
            shutil.unpack_archive(str(archive), str(build))
    data = json.loads(path.read_text("utf-8"))
    return {k: v["licenseText"] for k, v in data.items()
            if len(v.get("licenseText") or "") > 200 and not k.endswith("+")}


def groups(texts: dict[str, str]) -> dict[str, str]:
    """SPDX id -> a representative of the ids with the same set of words."""
    from aiart_release.default_plugins.licensing.normalize import words

    by_words: dict[frozenset[str], str] = {}
    out = {}
    for spdx_id in sorted(texts):
        key = frozenset(words(texts[spdx_id]))
        out[spdx_id] = by_words.setdefault(key, spdx_id)
    return out


def make_files(texts: dict[str, str], count: int, folder: Path, seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    ids = sorted(texts)
    answers = {}
    for i in range(count):
        spdx_id = ids[i % len(ids)]
        text = texts[spdx_id]
        year = rng.randint(1995, 2026)
        holder = rng.choice(["Ada Studio", "Kit Painter", "Paper Lanterns Collective",
                             "Example Org", "R. Someone"])
        if rng.random() < 0.5:  # reflow, as editors and copy-paste do
            text = "\n\n".join(textwrap.fill(p, width=rng.choice([66, 72, 79]))
                               for p in text.split("\n\n"))
        name = f"{i:04d}-LICENSE" + rng.choice(["", ".txt", ".md"])
        (folder / name).write_text(f"Copyright (c) {year} {holder}\n\n{text}\n", "utf-8")
        answers[name] = spdx_id
    return answers


def run_ours(folder: Path, answers: dict[str, str]) -> tuple[float, dict[str, str | None]]:
    start = time.perf_counter()
    from aiart_release.default_plugins.licensing.identify import identify_text

    found = {}
    for name in answers:
        result = identify_text((folder / name).read_text("utf-8"))
        found[name] = result.license if result else None
    return time.perf_counter() - start, found


def run_parts(folder: Path, answers: dict[str, str]) -> tuple[float, dict[str, str | None],
                                                               int, int, int]:
    """The licence check's reading: the first licence of each file, how
    many files were cut into several licences, and how many of those whose
    standard text ships were called modified (of how many)."""
    from aiart_release.default_plugins.licensing.identify import original_words
    from aiart_release.default_plugins.licensing.sections import parts

    start = time.perf_counter()
    found, split, modified, comparable = {}, 0, 0, 0
    for name in answers:
        result = parts((folder / name).read_text("utf-8"))
        found[name] = result[0].license
        split += len(result) > 1
        if original_words(answers[name]):
            comparable += 1
            modified += any(p.changes for p in result)
    return time.perf_counter() - start, found, split, modified, comparable


def run_scancode(scancode: str, folder: Path, answers: dict[str, str],
                 processes: int) -> tuple[float, dict[str, str | None]]:
    out = folder.parent / "scancode.json"
    start = time.perf_counter()
    subprocess.run([scancode, "--license", "--json", str(out), "-n", str(processes), "--quiet",
                    str(folder)], check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    data = json.loads(out.read_text("utf-8"))
    found: dict[str, str | None] = {}
    for entry in data["files"]:
        name = Path(entry["path"]).name
        if name in answers:
            found[name] = entry.get("detected_license_expression_spdx")
    return elapsed, found


def score(found: dict[str, str | None], answers: dict[str, str],
          same: dict[str, str]) -> tuple[float, float]:
    predicted = [n for n, v in found.items() if v]
    right = [n for n in predicted
             if same.get(found[n], found[n]) == same.get(answers[n], answers[n])]
    precision = len(right) / len(predicted) if predicted else 0.0
    recall = len(right) / len(answers) if answers else 0.0
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--spdx-json", type=Path, help="spdx-full.json of spdx-license-list")
    parser.add_argument("--scancode", help="the scancode command (default: on PATH or in "
                                           "build/scancode)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    texts = spdx_texts(args.spdx_json)
    same = groups(texts)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "licenses"
        folder.mkdir()
        answers = make_files(texts, args.files, folder, args.seed)
        print(f"{len(answers)} licence files from {len(texts)} SPDX texts "
              f"({len(set(same.values()))} distinct)\n")
        ours_time, ours = run_ours(folder, answers)
        p, r = score(ours, answers, same)
        print(f"{'':28} {'seconds':>8} {'files/s':>8} {'precision':>10} {'recall':>7}")
        print(f"{'(a) this tool':28} {ours_time:8.2f} {len(answers) / ours_time:8.0f} "
              f"{p:10.3f} {r:7.3f}")
        parts_time, by_parts, split, modified, comparable = run_parts(folder, answers)
        p, r = score(by_parts, answers, same)
        print(f"{'(a2) this tool, with scopes':28} {parts_time:8.2f} "
              f"{len(answers) / parts_time:8.0f} {p:10.3f} {r:7.3f}")
        print(f"     false alarms: {split} files cut into several licences; {modified} of "
              f"{comparable} standard texts with a shipped text called modified")
        scancode = args.scancode or shutil.which("scancode") or str(
            ROOT / "build" / "scancode" / "bin" / "scancode")
        if not Path(scancode).exists() and not shutil.which(scancode):
            print("\n(b) scancode: not installed; see this script's docstring")
            return
        sc_time, sc = run_scancode(scancode, folder, answers, args.processes)
        p, r = score(sc, answers, same)
        print(f"{'(b) scancode --license':28} {sc_time:8.2f} {len(answers) / sc_time:8.0f} "
              f"{p:10.3f} {r:7.3f}")
        print(f"\nspeed-up over ScanCode: {sc_time / ours_time:.0f}x "
              f"(ScanCode with -n {args.processes})")


if __name__ == "__main__":
    sys.exit(main())
