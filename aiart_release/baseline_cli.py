"""``aiart-release baseline add|audit|prune``: the findings a reviewer
accepted, in ``.aiart-release-baseline.json`` (:mod:`baseline`).

- ``add [PATH] --id ID | --fingerprint FP | --all-current --reason TEXT``
  assesses the bundle and accepts the current findings named (every one
  with ``--all-current``, for adopting the tool on an existing release).
- ``audit [PATH]`` lists each entry, whether a finding still matches it,
  its justification and its age. Exit 1 when an entry matches nothing any
  more (``prune`` removes them), so CI can keep the file honest; 0 otherwise.
- ``prune [PATH]`` removes the entries that match nothing.

PATH may be a folder or an fsspec URL, as for ``assess``. A bundle at a
URL is never written to: ``--baseline FILE`` names a local file that takes
the place of its baseline (read in place of the bundle's own when it
exists, and written by ``add`` and ``prune``, which refuse a URL without
it); the user copies it to the bundle's root.

The file is written only here, through :mod:`writes` (atomic, never
through a link, never out of the bundle). Nothing raw goes into it: the
findings come from the assessment, masked, and the justification passes the
masking gate too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from . import baseline as baseline_file
from .cli import EXIT_GATE, EXIT_OK, UsageProblem, debug_option, plugin_registry, write_or_refuse
from .records import dataclass
from .writes import lexically_inside, shown


@click.group("baseline")
def baseline() -> None:
    """Accept findings a reviewer judged no problem: add, audit, prune
    (.aiart-release-baseline.json at the bundle root)."""


def _path_argument(f):
    f = click.option("--baseline", "baseline_path", metavar="FILE",
                     help="For a bundle at a URL, which is never written to: the local "
                          "file that holds its baseline (read in place of the bundle's "
                          "own when it exists; required by add and prune).")(f)
    return click.argument("path", default=".")(f)


@dataclass(frozen=True)
class _Place:
    """Where the bundle is assessed (``folder``: a URL bundle's copy) and
    where its baseline is written (``file``, under ``within`` when it lies
    in the bundle's folder on this machine), as messages show it."""

    folder: Path
    file: Path | None  # None: read-only (a URL bundle's own baseline)
    within: Path | None
    shown: str


@contextmanager
def _opened(path: str, baseline_path: str | None, *, writes: bool) -> Iterator[_Place]:
    """The bundle at ``path`` (a folder, or a URL laid out as ``assess``
    lays it out) and its baseline. A URL bundle's baseline is written only
    to a local ``--baseline`` file, which the assessment applies in place
    of the bundle's own (in the private copy only: nothing at the URL)."""
    from .bundle import BundleError
    from .remote_source import is_url, opened_bundle, put_in_copy

    if not is_url(path):
        if baseline_path is not None:
            raise UsageProblem("--baseline is for a bundle at a URL; the baseline of a "
                               f"folder is its {baseline_file.BASELINE_NAME}")
        folder = Path(path)
        yield _Place(folder, baseline_file.path_for(folder), folder,
                     shown(baseline_file.path_for(folder)))
        return
    local = _local_baseline(path, baseline_path, writes)
    try:
        with opened_bundle(path) as bundle:
            if local is not None and local.is_file():
                put_in_copy(bundle.folder, baseline_file.BASELINE_NAME, _read_local(local))
            inside = (bundle.on_disk is not None and local is not None
                      and lexically_inside(local, bundle.on_disk))
            yield _Place(bundle.folder, local, bundle.on_disk if inside else None,
                         shown(local) if local is not None
                         else f"{bundle.shown}/{baseline_file.BASELINE_NAME}")
    except BundleError as exc:  # a URL that cannot be opened or listed
        raise UsageProblem(str(exc)) from None


def _local_baseline(url: str, baseline_path: str | None, writes: bool) -> Path | None:
    from .remote_source import is_url, shown_url

    if baseline_path is None:
        if writes:
            raise UsageProblem(
                f"'{shown_url(url)}' is a bundle at a URL, which is never written to: name a "
                f"local file for its baseline with --baseline FILE (then copy it to the "
                f"bundle's root as {baseline_file.BASELINE_NAME})")
        return None
    if is_url(baseline_path):
        raise UsageProblem(f"--baseline takes a local file, not the URL "
                           f"'{shown_url(baseline_path)}'")
    return Path(baseline_path)


def _read_local(local: Path) -> bytes:
    """The local baseline's bytes, bounded as the bundle's own is read."""
    from .readers.limits import LimitExceeded, read_problem, read_regular_file

    try:
        return read_regular_file(local, baseline_file.BASELINE_LIMITS.max_bytes)
    except LimitExceeded as exc:
        raise UsageProblem(f"{exc.at(shown(local))}; not a baseline") from None
    except OSError as exc:
        raise UsageProblem(f"{shown(local)}: cannot read the baseline: "
                           f"{read_problem(exc)}") from None


def _config_option(f):
    return click.option("--config", "config_path",
                        type=click.Path(path_type=Path, dir_okay=False),
                        help="Configuration file (default: the bundle's own).")(f)


def _assess(path: Path, config_path: Path | None):
    """The bundle assessed as `assess` would, masked (the current baseline
    applied: what it accepts is in ``suppressed``)."""
    from . import pipeline
    from .bundle import BundleError, check_root
    from .config import ConfigError, load_config
    from .engine import Options
    from .facts import declared_facts
    from .policy import PolicyError, load_policy

    try:
        check_root(path)
        registry = plugin_registry()
        config = load_config(path, config_path)
        policy = load_policy(config.policy, facts=declared_facts(registry.checks.values()))
        return pipeline.assess(path, registry, config, policy, Options())
    except (BundleError, ConfigError, PolicyError) as exc:
        raise UsageProblem(str(exc)) from None


def _load(path: Path) -> baseline_file.Baseline:
    try:
        return baseline_file.load(path)
    except baseline_file.BaselineError as exc:
        raise UsageProblem(str(exc)) from None


def _save(place: _Place, accepted: baseline_file.Baseline) -> None:
    write_or_refuse(place.file, accepted.to_text(), force=True, within=place.within)


def _baselined(assessment) -> set[str]:
    return {s.finding.fingerprint for s in getattr(assessment, "suppressed", ())
            if s.kind == "baseline"}


@baseline.command("add")
@_path_argument
@click.option("--id", "ids", multiple=True, metavar="ID",
              help="Accept every current finding with this id (repeatable).")
@click.option("--fingerprint", "fingerprints", multiple=True, metavar="FP",
              help="Accept the current finding with this fingerprint, as --format json "
                   "shows it (repeatable).")
@click.option("--all-current", is_flag=True,
              help="Accept every current finding (adopting the tool on an existing release).")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why these findings are no problem (required; kept in the baseline).")
@_config_option
@debug_option
def add(path, baseline_path, ids, fingerprints, all_current, reason, config_path):
    """Accept current findings of the bundle at PATH (default: here)."""
    try:
        reason = baseline_file.check_reason(reason)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    if not (ids or fingerprints or all_current):
        raise UsageProblem("name the findings to accept: --id ID, --fingerprint FP or "
                           "--all-current")
    with _opened(path, baseline_path, writes=True) as place:
        accepted = _load(place.folder)
        assessment = _assess(place.folder, config_path)
        chosen = _chosen(assessment, ids, fingerprints, all_current, _baselined(assessment))
        new = [e for e in baseline_file.entries_for(chosen, _masked(reason))
               if e.fingerprint not in accepted.entries]
        for entry in new:
            accepted.entries[entry.fingerprint] = entry
        if new:
            _save(place, accepted)
    click.echo(f"baseline: {len(new)} finding{'s' if len(new) != 1 else ''} accepted "
               f"in {place.shown}")
    for entry in new:
        click.echo(f"  + {entry.id}  {entry.path}")


def _masked(reason: str) -> str:
    """The justification through the masking gate, with the maskers of the
    plugins (names of people too), as every text the tool stores."""
    from . import masking
    from .pipeline import collect_maskers

    with masking.using(collect_maskers(plugin_registry())) as gate:
        return gate.redact(reason)


def _chosen(assessment, ids, fingerprints, all_current: bool, baselined: set[str]):
    """The current findings named on the command line; a name that matches
    none is a usage error (nothing is written)."""
    findings = assessment.findings
    if all_current:
        return list(findings)
    chosen, missing = [], []
    for finding_id in ids:
        matched = [f for f in findings if f.id == finding_id]
        if not matched and not _already(assessment, baselined,
                                        lambda f, wanted=finding_id: f.id == wanted):
            missing.append(f"--id {finding_id}")
        chosen += matched
    for fp in fingerprints:
        matched = [f for f in findings if f.fingerprint == fp]
        if not matched and fp not in baselined:
            missing.append(f"--fingerprint {fp}")
        chosen += matched
    if missing:
        raise UsageProblem(f"no current finding matches {', '.join(missing)} "
                           "(see `aiart-release assess PATH --format json`); nothing written")
    return list({f.fingerprint: f for f in chosen}.values())


def _already(assessment, baselined: set[str], test) -> bool:
    return any(test(s.finding) and s.finding.fingerprint in baselined
               for s in getattr(assessment, "suppressed", ()))


@baseline.command("audit")
@_path_argument
@click.option("--json", "as_json", is_flag=True, help="The audit as JSON.")
@_config_option
@debug_option
def audit(path, baseline_path, as_json, config_path):
    """List the baseline's entries: whether a finding still matches each,
    its justification and age. Exit 1 when an entry matches nothing."""
    with _opened(path, baseline_path, writes=False) as place:
        accepted = _load(place.folder)
        present = _baselined(_assess(place.folder, config_path)) if accepted.entries else set()
    rows = [{**e.to_dict(), "present": e.fingerprint in present, "age_days": e.age_days()}
            for e in sorted(accepted.entries.values(), key=lambda e: (e.id, e.path))]
    stale = sum(not r["present"] for r in rows)
    if as_json:
        click.echo(json.dumps({"baseline": place.shown, "entries": rows,
                               "stale": stale}, indent=2))
    else:
        if not rows:
            click.echo(f"baseline: no entries ({place.shown})")
        for r in rows:
            state = "present" if r["present"] else "ABSENT "
            click.echo(f"{state}  {r['id']}  {r['path']}  {r['date']} ({r['age_days']} days)  "
                       f"{r['reason']}")
        if stale:
            click.echo(f"baseline: {stale} of {len(rows)} entries match no finding any more "
                       f"(`aiart-release baseline prune` removes them)")
    sys.exit(EXIT_GATE if stale else EXIT_OK)


@baseline.command("prune")
@_path_argument
@_config_option
@debug_option
def prune(path, baseline_path, config_path):
    """Remove the baseline entries that match no finding any more."""
    with _opened(path, baseline_path, writes=True) as place:
        accepted = _load(place.folder)
        if not accepted.entries:
            click.echo(f"baseline: nothing to prune ({place.shown})")
            return
        present = _baselined(_assess(place.folder, config_path))
        gone = [e for fp, e in accepted.entries.items() if fp not in present]
        for entry in gone:
            del accepted.entries[entry.fingerprint]
        if gone:
            _save(place, accepted)
    click.echo(f"baseline: {len(gone)} entr{'ies' if len(gone) != 1 else 'y'} pruned, "
               f"{len(accepted.entries)} kept")
    for entry in gone:
        click.echo(f"  - {entry.id}  {entry.path}")
