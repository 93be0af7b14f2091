"""``aiart-release export KIND [PATH]``: the files a release needs, made from
the assessment (a release card, gating front matter, machine-readable
metadata).

Each KIND is a reporter registered through ``aiart_release_register_reporters``
whose :class:`~aiart_release.report.Reporter` names a ``filename``: the one
registry of formats, a third-party kind is registered exactly as a built-in
one. The bundle is assessed as ``assess`` assesses it (same configuration,
policy, exclusions and cache), masked, then rendered.

Writing (through :mod:`writes`, via ``cli.write_or_refuse``):

- the default output is the kind's file name in the current folder; when
  that lies inside the bundle the command refuses (the bundle is read-only
  unless the user names a file in it with ``--output``);
- an existing file is replaced only with ``--force``;
- a bundle at a URL (``memory://…``, ``s3://…``, ``file:///…``: as for
  ``assess``, remote_source.py) is read there and never written to: the
  default output is in the current folder, which is no part of it;
- ``--artifact NAME`` narrows the export to that artifact; a name the bundle
  does not hold is a usage error listing the artifacts it does hold.

A reporter that finds nothing to write raises
:class:`~aiart_release.report.NothingToExport`: the command says why,
writes nothing, and exits 0.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from . import session
from .cli import (
    EXIT_OK,
    UsageProblem,
    debug_option,
    gate_threshold,
    plugin_registry,
    timeout_option,
    write_or_refuse,
)
from .writes import lexically_inside, shown


def export_kinds(registry) -> dict:
    """The reporters ``export`` can write: those that name a file."""
    return {name: r for name, r in registry.reporters.items() if r.filename}


@click.command("export")
@click.argument("kind")
@click.argument("path", default=".")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to FILE, or to standard output with `-` (default: the kind's file "
                   "name in the current folder, which must lie outside the bundle).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option("--artifact", "artifacts", multiple=True, metavar="NAME",
              help="Export only this artifact (model, code, dataset); repeatable.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file (default: the bundle's own, as for assess).")
@click.option("--policy", "policy_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Policy file that extends or replaces the default policy.")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Leave out files matching GLOB (gitignore style); repeatable.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@timeout_option
@debug_option
def export(kind, path, output, force, artifacts, config_path, policy_path, exclude, no_cache,
           timeout):
    """Write the release file KIND for the bundle at PATH (default: here),
    a folder or an fsspec URL as for `assess`.

    KIND: markdown (a release card), hf-gating (front matter of a gated
    Hugging Face repository), or another kind a plugin adds (an unknown KIND
    lists those installed). The bundle is assessed as `assess` does; nothing
    is written into it unless --output names a file there (never at a URL
    but file://).
    """
    from .bundle import BundleError
    from .remote_source import opened_bundle

    registry = plugin_registry()
    reporter = _export_reporter(registry, kind)
    try:
        with opened_bundle(path) as bundle:
            _export(bundle, registry, reporter, kind, output, force, artifacts, config_path,
                    policy_path, exclude, no_cache, timeout)
    except BundleError as exc:  # a URL that cannot be opened or listed
        raise UsageProblem(str(exc)) from None


def _export(bundle, registry, reporter, kind, output, force, artifacts, config_path,
            policy_path, exclude, no_cache, timeout):
    """Assess the opened bundle (remote_source.OpenedBundle) and write the
    export; exits."""
    from .bundle import BundleError, check_root
    from .cli import _shown_root

    path = bundle.folder
    try:
        check_root(path)
    except BundleError as exc:
        raise UsageProblem(str(exc)) from None
    to_stdout = output is not None and str(output) == "-"
    if not to_stdout:
        # What "inside the bundle" means: its folder on this machine (a
        # file:// URL's too); a bundle elsewhere holds no local path.
        target, within = _target(output, reporter.filename, bundle.on_disk)
        write_or_refuse(target, None, force=force, within=within)

    _, config, policy = session.setup(path, kind, "auto", config_path, policy_path)
    options = session.options(use_cache=not no_cache, exclude=exclude, timeout=timeout)
    assessment = session.assess(path, registry, config, policy, options)
    if bundle.shown is not None:
        assessment.bundle_path = _shown_root(bundle.shown, show_pii=False)
    assessment = narrowed(assessment, artifacts)
    text = _render(reporter, assessment, config)
    if text is None:
        sys.exit(EXIT_OK)
    if to_stdout:
        click.echo(text, nl=False)
        sys.exit(EXIT_OK)
    write_or_refuse(target, text, force=force, within=within)
    click.echo(f"aiart-release: {kind} written to {shown(target)}", err=True)
    sys.exit(EXIT_OK)


def _export_reporter(registry, kind: str):
    kinds = export_kinds(registry)
    if kind not in kinds:
        raise UsageProblem(f"unknown export kind {kind!r} "
                           f"(available: {', '.join(sorted(kinds)) or 'none'})")
    return kinds[kind]


def _target(output: Path | None, filename: str,
            bundle: Path | None) -> tuple[Path, Path | None]:
    """Where to write, and the bundle when the file lies in it (so that no
    folder on the way may be a link out of it). The default name is never
    written into the bundle: only a file the user names goes there.
    ``bundle`` is None for a bundle with no folder on this machine."""
    if bundle is None:
        return output or Path(filename), None
    if output is None:
        target = Path(filename)
        if lexically_inside(target, bundle):
            raise UsageProblem(
                f"{filename} would be written inside the bundle {shown(bundle)}: run from "
                f"another folder, or name the file with --output {filename}")
        return target, None
    return output, bundle if lexically_inside(output, bundle) else None


def narrowed(assessment, artifacts: tuple[str, ...]):
    """The assessment restricted to ``artifacts`` (all when empty): their
    decisions, their findings and those of the whole bundle, the scenarios
    that bear on them. A name the bundle does not hold is a usage error."""
    if not artifacts:
        return assessment
    from .policy import Recommendation, tier_rank

    present = assessment.recommendation.artifacts
    missing = [a for a in artifacts if a not in present]
    if missing:
        raise UsageProblem(f"the bundle holds no {', '.join(missing)} artifact "
                           f"(it holds: {', '.join(present) or 'none'})")
    keep = set(artifacts)
    decisions = {name: d for name, d in present.items() if name in keep}
    overall = max((d.tier for d in decisions.values()), key=tier_rank, default="open")
    return replace(
        assessment,
        recommendation=Recommendation(overall=overall, artifacts=decisions),
        findings=[f for f in assessment.findings if f.artifact in keep or not f.artifact],
        scenarios=[s for s in assessment.scenarios
                   if not s.get("min_tier") or keep & set(s["min_tier"])],
        suppressed=[s for s in assessment.suppressed
                    if s.finding.artifact in keep or not s.finding.artifact],
    )


def _render(reporter, assessment, config) -> str | None:
    """The reporter's text, or None (said on stderr) when it has nothing to
    write."""
    from .report import NothingToExport, ReportOptions

    threshold = session.severity(gate_threshold(None, config))
    options = ReportOptions(width=100, fail_on=threshold.value if threshold else None,
                            gate=tuple(assessment.gate(threshold)))
    try:
        return reporter.render(assessment, options)
    except NothingToExport as exc:
        click.echo(f"aiart-release: nothing to export: {exc}", err=True)
        return None
