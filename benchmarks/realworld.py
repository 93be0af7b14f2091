"""Real-world evaluation: assessments of public repositories against a reviewer's expectations.

    python benchmarks/realworld.py ROOT [--expectations FILE] [--only NAME] [--json OUT]
                                        [--save DIR] [--check]

For each repository in the expectations (benchmarks/realworld/expectations.yaml,
written before the tool was run on them) whose folder exists under ROOT
(`owner+name`, or just `name`), runs `aiart-release assess --format json`
cold (`--no-cache`, and a fresh, empty cache folder) twice: as-is, and with
`commercial: true` declared in a config file outside the repository
(`--config`), so nothing is written into it. Then prints, per repository:
tier agreement per artifact, the share of medium+ findings a reviewer would
act on, the finding count, must_find hits and misses, must_not_find
violations, licences and non-commercial conflicts found against those
expected, and the cold run time; then the totals against the targets.

Exit code 0, unless --check is given and a target is missed (then 1).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_EXPECTATIONS = HERE / "realworld" / "expectations.yaml"
SEVERITIES = ("info", "low", "medium", "high", "critical")
ARTIFACTS = ("model", "code", "dataset")
TARGET_TIERS = 0.90        # share of artifacts whose tier agrees
TARGET_ACTIONABLE = 0.80   # share of medium+ findings a reviewer would act on
TARGET_MAX_FINDINGS = 30   # findings per repository, as-is

Finding = dict[str, Any]
Pattern = dict[str, Any]


# --- matching -----------------------------------------------------------------

def _globs(value: str | list[str] | None) -> list[str]:
    if value is None:
        return ["*"]
    return [value] if isinstance(value, str) else list(value)


def _norm(path: str) -> str:
    # A folder finding says "data/"; a root finding may say "." or "".
    path = path.removeprefix("./").rstrip("/")
    return path or "."


def finding_paths(finding: Finding) -> list[str]:
    """Every path a finding stands for: identical content merged from several
    files keeps the others in `also`."""
    paths = [(finding.get("location") or {}).get("path") or "."]
    paths += [p for p in finding.get("also") or [] if isinstance(p, str)]
    return [_norm(p) for p in paths]


def severity_at_least(finding: Finding, severity: str) -> bool:
    return SEVERITIES.index(finding.get("severity", "info")) >= SEVERITIES.index(severity)


def matches(finding: Finding, pattern: Pattern) -> bool:
    """Does a finding match an {id, path, evidence, min_severity} pattern?

    Globs are fnmatch-style: `*` also crosses `/`, so `test_imgs*` covers the
    folder and everything in it.
    """
    if not any(fnmatch.fnmatchcase(finding.get("id", ""), g) for g in _globs(pattern.get("id"))):
        return False
    paths = finding_paths(finding)
    if not any(fnmatch.fnmatchcase(p, _norm(g)) or fnmatch.fnmatchcase(p, g)
               for p in paths for g in _globs(pattern.get("path"))):
        return False
    if "evidence" in pattern and not fnmatch.fnmatch(
            str(finding.get("evidence") or ""), pattern["evidence"]):
        return False
    return severity_at_least(finding, pattern.get("min_severity", "info"))


def describe(finding: Finding) -> str:
    return f"{finding.get('id')} {finding_paths(finding)[0]} ({finding.get('severity')})"


# --- scoring --------------------------------------------------------------------

def tier_agreement(expected: dict[str, Any],
                   recommendation: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per artifact: expected tier (or absent), the tool's, agreement."""
    got = (recommendation or {}).get("artifacts") or {}
    rows = []
    for artifact in ARTIFACTS:
        want = (expected.get(artifact) or {}).get("tier", "absent")
        tier = (got.get(artifact) or {}).get("tier", "absent")
        rows.append({"artifact": artifact, "expected": want, "got": tier, "agree": want == tier})
    return rows


def actionable_share(findings: list[Finding], patterns: list[Pattern]) -> dict[str, Any]:
    """Medium+ findings, and those the reviewer's `actionable` patterns cover."""
    serious = [f for f in findings if severity_at_least(f, "medium")]
    noise = [f for f in serious if not any(matches(f, p) for p in patterns)]
    return {"medium_plus": len(serious), "actionable": len(serious) - len(noise),
            "not_actionable": [describe(f) for f in noise]}


def must_find(findings: list[Finding], items: list[Pattern]) -> dict[str, list[str]]:
    hits, misses = [], []
    for item in items:
        found = [f for f in findings if matches(f, item)]
        label = f"{item.get('id')} @ {item.get('path', '*')}"
        if not found:
            misses.append(label)
        elif "max" in item and len(found) > item["max"]:
            misses.append(f"{label}: {len(found)} findings, at most {item['max']}")
        else:
            hits.append(label)
    return {"hits": hits, "misses": misses}


def must_not_find(findings: list[Finding], items: list[Pattern]) -> list[str]:
    return [describe(f) for item in items for f in findings if matches(f, item)]


_NOT_IDS = {"AND", "OR", "WITH"}


def licence_ids(finding: Finding) -> set[str]:
    """Licence ids named in a finding's evidence ("MIT", "x: LicenseRef-y", "A AND B")."""
    text = str(finding.get("evidence") or "")
    text = text.rsplit(": ", 1)[-1]
    return {t for t in re.split(r"[\s(),;]+", text) if t and t not in _NOT_IDS}


def _licence_match(finding: Finding, glob: str) -> bool:
    return any(fnmatch.fnmatch(i, glob) for i in licence_ids(finding))


def licences(findings: list[Finding], expected: list[dict[str, Any]]) -> dict[str, Any]:
    """Each expected licence: found at its scope, found elsewhere, or missing."""
    detected = [f for f in findings if f.get("id") == "license.detected"]
    result: dict[str, Any] = {"scoped": [], "elsewhere": [], "missing": [], "unexpected": []}
    for want in expected:
        named = [f for f in detected if _licence_match(f, want["id"])]
        scoped = [f for f in named if matches(f, {"path": want.get("paths") or None})]
        key = "scoped" if scoped else "elsewhere" if named else "missing"
        result[key].append(want["id"])
    for f in detected:
        if not any(_licence_match(f, want["id"]) for want in expected):
            ids = " ".join(sorted(licence_ids(f)))
            result["unexpected"].append(f"{ids} @ {finding_paths(f)[0]}")
    return result


def nc_conflicts(findings: list[Finding] | None, expected: list[dict[str, Any]]) -> dict[str, Any]:
    """Non-commercial conflicts raised under commercial: true, against those expected."""
    if findings is None:
        return {"found": [], "missed": [], "unexpected": [], "ran": False}
    raised = [f for f in findings if f.get("id") == "license.noncommercial-conflict"]
    found, missed, used = [], [], set()
    for want in expected:
        # The part is what must be raised; a licence SPDX lacks may carry another
        # LicenseRef- name in the tool than the reviewer guessed, so say which.
        label = f"{want.get('license')} @ {want.get('path')}"
        hit = [i for i, f in enumerate(raised) if matches(f, {"path": want.get("path")})]
        if not hit:
            missed.append(label)
            continue
        names = sorted({i for n in hit for i in licence_ids(raised[n])})
        if not any(_licence_match(raised[n], want.get("license", "*")) for n in hit):
            label += f" (named {', '.join(names)})"
        found.append(label)
        used.update(hit)
    unexpected = [describe(f) for i, f in enumerate(raised) if i not in used]
    return {"found": found, "missed": missed, "unexpected": unexpected, "ran": True}


def score(expect: dict[str, Any], as_is: dict[str, Any], commercial: dict[str, Any] | None,
          defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compare one repository's two assessments with its expectations."""
    defaults = defaults or {}
    findings = as_is.get("findings") or []
    return {
        "findings": len(findings),
        "by_severity": {sev: sum(f.get("severity") == sev for f in findings)
                        for sev in reversed(SEVERITIES)},
        "tiers": tier_agreement(expect.get("artifacts") or {}, as_is.get("recommendation") or {}),
        "actionable": actionable_share(findings, expect.get("actionable") or []),
        "must_find": must_find(findings, expect.get("must_find") or []),
        "must_not_find": must_not_find(
            findings, (defaults.get("must_not_find") or []) + (expect.get("must_not_find") or [])),
        "licences": licences(findings, expect.get("licenses") or []),
        "nc": nc_conflicts(None if commercial is None else commercial.get("findings") or [],
                           expect.get("commercial_conflicts") or []),
    }


def totals(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled over the repositories: tier agreement, actionable share, the largest count."""
    rows = [row for r in results for row in r["tiers"]]
    agree = sum(row["agree"] for row in rows)
    serious = sum(r["actionable"]["medium_plus"] for r in results)
    acted = sum(r["actionable"]["actionable"] for r in results)
    most = max((r["findings"] for r in results), default=0)
    tier_share = agree / len(rows) if rows else 0.0
    act_share = acted / serious if serious else 1.0
    return {
        "repositories": len(results),
        "tiers": {"agree": agree, "of": len(rows), "share": tier_share,
                  "met": bool(rows) and tier_share >= TARGET_TIERS},
        "actionable": {"actionable": acted, "of": serious, "share": act_share,
                       "met": act_share >= TARGET_ACTIONABLE},
        "findings": {"max": most, "met": most <= TARGET_MAX_FINDINGS},
    }


# --- running ----------------------------------------------------------------------

def repo_folder(root: Path, name: str) -> Path | None:
    for candidate in (name.replace("/", "+"), name.split("/")[-1]):
        if (root / candidate).is_dir():
            return root / candidate
    return None


def default_cli() -> str:
    beside = Path(sys.executable).parent / "aiart-release"
    return str(beside) if beside.exists() else (shutil.which("aiart-release") or "aiart-release")


def own_config(path: Path) -> dict[str, Any]:
    """The repository's own aiart-release.yaml, which --config would otherwise replace."""
    for name in ("aiart-release.yaml", ".aiart-release.yaml"):
        if (path / name).is_file():
            return yaml.safe_load((path / name).read_text("utf-8")) or {}
    return {}


def assess(cli: str, path: Path, commercial: bool, timeout: float) -> tuple[dict[str, Any], float]:
    """One cold assessment; the config and the cache live in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="aiart-realworld-") as tmp:
        out = Path(tmp) / "assessment.json"
        cmd = [cli, "assess", str(path), "--format", "json", "--no-cache", "--output", str(out)]
        if commercial:
            config = Path(tmp) / "aiart-release.yaml"
            config.write_text(yaml.safe_dump({**own_config(path), "commercial": True}), "utf-8")
            cmd += ["--config", str(config)]
        env = dict(os.environ, AIART_RELEASE_CACHE_DIR=str(Path(tmp) / "cache"), NO_COLOR="1")
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        elapsed = time.perf_counter() - start
        if done.returncode not in (0, 1) or not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            raise RuntimeError(f"exit {done.returncode}: {tail[0][:200]}")
        return json.loads(out.read_text("utf-8")), elapsed


def _frac(part: int, whole: int) -> str:
    return f"{part}/{whole}"


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


_DESCRIBED = re.compile(r"^(\S+) (.*) \((\w+)\)$")   # describe(): "id path (severity)"


def _lines(label: str, items: list[str], limit: int = 12) -> None:
    """Print a list; findings of one id and severity on one line (the JSON keeps each)."""
    groups: dict[str, list[str]] = {}
    for item in items:
        m = _DESCRIBED.match(item)
        key = f"{m[1]} ({m[3]})" if m else item
        groups.setdefault(key, []).extend([m[2]] if m else [])
    for n, (key, paths) in enumerate(groups.items()):
        if n == limit:
            print(f"{'':18}{label}: … {len(groups) - limit} more")
            break
        more = f", +{len(paths) - 2} more" if len(paths) > 2 else ""
        where = f" ×{len(paths)}: {', '.join(paths[:2])}{more}" if paths else ""
        print(f"{'':18}{label}: {key}{where}")


def counts(r: dict[str, Any]) -> dict[str, str]:
    """The per-repository figures, as `k/n` strings."""
    t, a, m, lic, nc = r["tiers"], r["actionable"], r["must_find"], r["licences"], r["nc"]
    n_lic = sum(len(lic[k]) for k in ("scoped", "elsewhere", "missing"))
    extra = f" (+{len(nc['unexpected'])} unexpected)" if nc["unexpected"] else ""
    return {
        "tiers": _frac(sum(x["agree"] for x in t), len(t)),
        "actionable": _frac(a["actionable"], a["medium_plus"]),
        "must_find": _frac(len(m["hits"]), len(m["hits"]) + len(m["misses"])),
        "licences": _frac(len(lic["scoped"]), n_lic),
        "nc": _frac(len(nc["found"]), len(nc["found"]) + len(nc["missed"])) + extra,
    }


def report(name: str, r: dict[str, Any]) -> None:
    c, a, lic = counts(r), r["actionable"], r["licences"]
    sev = ", ".join(f"{n} {s}" for s, n in r["by_severity"].items() if n)
    print(f"\n== {name}: {r['findings']} findings ({sev or 'none'}), cold run {r['seconds']:.1f} s")
    wrong = [f"{t['artifact']} expected {t['expected']}, got {t['got']}"
             for t in r["tiers"] if not t["agree"]]
    print(f"  tiers         {c['tiers']} agree" + (f" ({'; '.join(wrong)})" if wrong else ""))
    print(f"  actionable    {c['actionable']} medium+ ({_pct(a['actionable'], a['medium_plus'])})")
    _lines("not actionable", a["not_actionable"])
    print(f"  must_find     {c['must_find']} found")
    _lines("missed", r["must_find"]["misses"])
    print(f"  must_not_find {len(r['must_not_find'])} violations")
    _lines("violation", r["must_not_find"])
    print(f"  licences      {c['licences']} at their scope; elsewhere: {lic['elsewhere'] or '-'};"
          f" missing: {lic['missing'] or '-'}")
    _lines("not expected", lic["unexpected"])
    if r["nc"]["ran"]:
        print(f"  NC conflicts  {c['nc']} expected raised"
              f" (commercial run {r['commercial_seconds']:.1f} s)")
        _lines("missed", r["nc"]["missed"])
        _lines("unexpected", r["nc"]["unexpected"])


def table(results: dict[str, dict[str, Any]], summary: dict[str, Any]) -> None:
    print("\n| repository | tiers agree | actionable medium+ | findings | must_find"
          " | must_not_find violations | licences at scope | NC conflicts raised | cold s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        c = counts(r)
        print(f"| {name} | {c['tiers']} | {c['actionable']} | {r['findings']} | {c['must_find']}"
              f" | {len(r['must_not_find'])} | {c['licences']} | {c['nc']} | {r['seconds']:.1f} |")
    t, a, f = summary["tiers"], summary["actionable"], summary["findings"]
    ok = {True: "met", False: "MISSED"}
    print(f"\nTiers agree on {t['agree']}/{t['of']} artifacts ({_pct(t['agree'], t['of'])};"
          f" target >= {TARGET_TIERS:.0%}): {ok[t['met']]}")
    print(f"Actionable: {a['actionable']}/{a['of']} medium+ findings"
          f" ({_pct(a['actionable'], a['of'])}; target >= {TARGET_ACTIONABLE:.0%}): {ok[a['met']]}")
    print(f"Most findings in one repository: {f['max']}"
          f" (target <= {TARGET_MAX_FINDINGS}): {ok[f['met']]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder holding the repositories (owner+name)")
    parser.add_argument("--expectations", type=Path, default=DEFAULT_EXPECTATIONS)
    parser.add_argument("--only", action="append", help="only this repository (owner/name or name)")
    parser.add_argument("--json", type=Path, help="write the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--cli", default=default_cli(), help="the aiart-release executable")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per assessment")
    parser.add_argument("--save", type=Path, help="write each assessment's JSON into this folder")
    args = parser.parse_args(argv)

    spec = yaml.safe_load(args.expectations.read_text("utf-8"))
    wanted = {o.lower() for o in args.only or []}
    results: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    print(f"aiart-release real-world evaluation · {date.today()} · {platform.machine()},"
          f" {os.cpu_count()} cores, Python {platform.python_version()}")
    for name, expect in spec["repos"].items():
        if wanted and not wanted & {name.lower(), name.split("/")[-1].lower()}:
            continue
        folder = repo_folder(args.root, name)
        if folder is None:
            print(f"\n-- {name}: skipped, no folder {name.replace('/', '+')} under {args.root}")
            continue
        try:
            as_is, seconds = assess(args.cli, folder, False, args.timeout)
            commercial, commercial_seconds = assess(args.cli, folder, True, args.timeout)
        except (RuntimeError, subprocess.TimeoutExpired, OSError, json.JSONDecodeError) as err:
            errors[name] = str(err)
            print(f"\n!! {name}: the assessment failed: {err}")
            continue
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            for suffix, data in (("", as_is), ("-commercial", commercial)):
                target = args.save / f"{name.replace('/', '+')}{suffix}.json"
                target.write_text(json.dumps(data, indent=1), "utf-8")
        result = score(expect, as_is, commercial, spec.get("defaults"))
        result.update(seconds=seconds, commercial_seconds=commercial_seconds)
        results[name] = result
        report(name, result)

    summary = totals(list(results.values()))
    if results:
        table(results, summary)
    if args.json:
        args.json.write_text(json.dumps({"date": str(date.today()), "results": results,
                                         "errors": errors, "totals": summary}, indent=1), "utf-8")
    met = all(summary[k]["met"] for k in ("tiers", "actionable", "findings"))
    missed = bool(errors) or not results or not met
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
