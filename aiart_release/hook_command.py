"""``aiart-release hook``: check what is staged for a commit, as pre-commit
runs it (on every commit), without the command line's library.

cli.py defines the ``hook`` command for ``--help`` and for any command line
this module does not read itself; both run :func:`run`. A command line of
the forms pre-commit passes (file names, ``--all-files``, ``--fail-on``,
``--no-cache``, ``--timeout``, ``--debug``) is read here by ``entry.py``
before click is imported: click and the definitions of every other command
were a tenth of a first run on one caption. Anything else (``--help``, an
unknown option, ``--``) is left to click, which says what is wrong in its
own words.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

from .session import (
    EXIT_GATE,
    EXIT_OK,
    EXIT_USAGE,
    Refused,
    debugging,
    ended,
    refusal_line,
    say,
    set_debug,
)

# Findings that concern the run, not a file: kept when a partial view is
# narrowed to the files the commit changes (fail closed).
_RUN_FINDINGS = ("plugin.", "bundle.timeout")
HOOK_LISTED = 20


class HookArgs(NamedTuple):
    files: tuple[str, ...]
    all_staged: bool = False
    fail_on: str | None = None
    no_cache: bool = False
    timeout: float | None = None
    debug: bool = False


_FLAGS = {"--all-files": "all_staged", "--no-cache": "no_cache", "--debug": "debug"}
_VALUED = {"--fail-on": "fail_on", "--timeout": "timeout"}


def parsed(argv: list[str]) -> HookArgs | None:
    """The hook's arguments, when ``argv`` (what follows ``hook``) holds only
    file names and the hook's own options; None for anything else, which
    click reads."""
    values: dict[str, object] = {}
    files: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, equals, value = arg.partition("=")
        if arg in _FLAGS:
            values[_FLAGS[arg]] = True
        elif name in _VALUED and equals:
            values[_VALUED[name]] = value
        elif arg in _VALUED and i + 1 < len(argv):
            values[_VALUED[arg]] = argv[i + 1]
            i += 1
        elif arg.startswith("-") or not arg:
            return None  # --help, an unknown option, "--", an empty name: click's
        else:
            files.append(arg)
        i += 1
    timeout = values.pop("timeout", None)
    return HookArgs(files=tuple(files), timeout=positive_seconds(timeout), **values)


def positive_seconds(value: str | None) -> float | None:
    """``--timeout``'s value; anything but a positive finite number is refused."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise Refused(f"--timeout: {value!r} is not a positive number of seconds")
    return seconds


def fast_main(argv: list[str]) -> int | None:
    """Run the hook for ``argv`` (what follows ``hook``) and give its exit
    code; None when the command line is click's to read."""
    try:
        args = parsed(argv)
    except Refused as exc:  # a bad --timeout: in the words click's option would use
        say(refusal_line(exc.message))
        return EXIT_USAGE
    if args is None:
        return None
    if args.debug:
        set_debug()
    return ended(lambda: run(args), debugging())


def run(args: HookArgs) -> int:
    """Check what is staged (the blobs in the git index, never the working
    tree) and give the exit code: 0 passed, 1 the commit is blocked, 2 it
    cannot be checked here."""
    from .hook import HookError, staged_view
    from .masking import redact
    from .session import severity

    severity(args.fail_on)  # a misspelt severity is refused before git is asked
    verdicts = _hook_verdicts(args.no_cache, fail_on=args.fail_on, all_staged=args.all_staged,
                              timeout=args.timeout, debug=debugging())
    try:
        with staged_view(Path.cwd(), list(args.files), all_staged=args.all_staged,
                         before_copy=verdicts.replay if verdicts else None) as view:
            notes = [redact(f"aiart-release: {note}") for note in view.notes]
            for note in notes:
                say(note)
            if not view.checked and not (view.whole_bundle and view.changes):
                say("aiart-release: nothing staged to check")
                return EXIT_OK
            code, report, storable = _run_hook(view, fail_on=args.fail_on,
                                               use_cache=not args.no_cache, timeout=args.timeout)
            sys.stdout.write(report)
            sys.stdout.flush()
            if verdicts is not None and storable:
                verdicts.stderr = notes
                verdicts.store(report, code)
            return code
    except HookError as exc:
        raise Refused(str(exc)) from None


def _hook_verdicts(no_cache: bool, **options):
    """The hook's stored verdicts (hook_verdict.py); none with --no-cache."""
    if no_cache:
        return None
    from .cache import default_cache_dir
    from .hook_verdict import Verdicts

    return Verdicts(default_cache_dir(), options)


def _run_hook(view, *, fail_on: str | None, use_cache: bool,
              timeout: float | None) -> tuple[int, str, bool]:
    """Assess the staged view: the exit code of the gate, what fails the
    commit as a person can act on it, and whether that verdict may be
    replayed (hook_verdict.storable)."""
    from dataclasses import replace

    from .cache import default_cache_dir
    from .session import assess, gate_threshold, options, setup, severity
    from .writes import lexically_inside

    # The cache never goes inside the repository (nothing is written there).
    use_cache = use_cache and not lexically_inside(default_cache_dir(), view.repository)
    try:
        registry, config, policy = setup(view.root, "terminal", "auto", None, None,
                                         keep_derived=use_cache)
        threshold = severity(gate_threshold(fail_on, config))
        run_options = options(use_cache=use_cache, timeout=timeout, composition=False)
        assessment = assess(view.root, registry, config, policy, run_options)
    except Refused as exc:
        # A staged file named by its place in the repository, not in the
        # temporary copy (aiart-release.yaml:2:13, not /tmp/…/aiart-release.yaml).
        raise Refused(exc.message.replace(f"{view.root}{os.sep}", "")) from None
    from .hook_verdict import storable

    replayable = use_cache and storable(assessment)  # before the narrowing: every failure
    if not view.whole_bundle:
        # A partial view: what is absent from it (a licence, a card) is not
        # absent from the repository, so only the staged files' findings count.
        checked = set(view.checked)
        assessment = replace(assessment, findings=[
            f for f in assessment.findings
            if f.location.path in checked or f.id.startswith(_RUN_FINDINGS)])
    gate = assessment.gate(threshold)
    return (EXIT_GATE if gate else EXIT_OK, _hook_report(assessment, gate, threshold, view),
            replayable)


def _hook_report(assessment, gate: list[str], threshold, view) -> str:
    """One line per finding that fails the commit (at or above the
    threshold, or holding an artifact back from its declared tier): where,
    what, and how to fix it; then why the commit fails and what to do."""
    from .masking import redact

    scope = ("the staged bundle" if view.whole_bundle
             else f"{len(view.checked)} staged file{'s' * (len(view.checked) != 1)}")
    if not gate:
        return f"aiart-release: {scope} passed\n"
    held = {fp for d in assessment.recommendation.artifacts.values() for fp in d.raised_by}
    listed = [f for f in assessment.findings
              if (threshold is not None and f.severity >= threshold) or f.fingerprint in held]
    lines = []
    for f in listed[:HOOK_LISTED]:
        where = f.location.path + (f":{f.location.line}" if f.location.line else "")
        lines.append(f"{where}: {f.severity.value} {f.id}: {f.message}")
        evidence = f.shown_evidence(False)  # masked: the hook has no --show-pii
        if evidence:
            lines.append(f"    evidence: {evidence}")
        if f.remediation:
            lines.append(f"    fix: {f.remediation}")
    if len(listed) > HOOK_LISTED:
        lines.append(f"... and {len(listed) - HOOK_LISTED} more "
                     "(`aiart-release assess .` shows them all)")
    lines.append(f"aiart-release: commit blocked ({scope}): {'; '.join(gate)}.")
    lines.append("Fix what is listed and stage it again; to accept a finding you have "
                 "reviewed, record it with `aiart-release baseline add` and stage "
                 ".aiart-release-baseline.json.")
    return "".join(redact(line) + "\n" for line in lines)
