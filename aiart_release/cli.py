"""The command line: thin click commands over the pipeline; plugins add
their own commands (``credits`` comes from the provenance plugin).

Exit codes: 0 the assessment is within the declared intent and below
``--fail-on``; 1 it fails that gate; 2 a usage, configuration or bundle-path
error; 3 an internal error, or a failed plugin under ``--strict``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__, session
from .session import (
    EXIT_GATE,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    Refused,
    gate_threshold,
    plugin_registry,
)
from .writes import lexically_inside, shown

CONFIG_TEMPLATE = """\
# aiart-release configuration: what you intend to release.
# Every key is explained in docs/configuration.md of aiart-release.

# The release you intend: open, gated or closed (or one per artifact:
# release: {model: gated, code: open, dataset: closed}).
release: open

# Will the model, code or data be used commercially?
commercial: false

# Files the assessment should ignore (gitignore-style patterns).
exclude: []

# Which files belong to which artifact, where folder names do not say.
# artifacts:
#   model: ["weights/**"]
#   dataset: ["data/**"]

# Per-check settings; `enabled: false` turns a check off.
# checks:
#   cards: {enabled: true}

# Fail when a finding is at or above this severity (none, info, low,
# medium, high, critical). Default: none while `release` is declared (the
# recommended tiers are the gate), high when it is not.
# fail_on: high
"""


class UsageProblem(click.ClickException, Refused):
    """A user error: printed as one line, exit code 2 (session.Refused, as
    click reports it from inside a command)."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        click.echo(session.refusal_line(self.format_message()), err=True)


def write_or_refuse(target: Path, content: str | None, *, force: bool,
                    within: Path | None = None) -> None:
    """Write a file the user asked for, safely (writes.py); with no content,
    only check that it could be written. A refusal is a usage problem: one
    line, exit 2. Plugin commands write through it too."""
    from .writes import WriteRefused, check_target, write_file

    try:
        if content is None:
            check_target(target, force=force, within=within)
        else:
            write_file(target, content, force=force, within=within)
    except WriteRefused as exc:
        raise UsageProblem(str(exc)) from None


def debug_option(f):
    """``--debug`` on a command: show tracebacks for internal errors (plugin
    commands take it too)."""

    def remember(_ctx: click.Context, _param, value: bool) -> bool:
        if value:
            session.set_debug()
        return value

    return click.option("--debug", is_flag=True, expose_value=False, is_eager=True,
                        callback=remember, help="Show tracebacks for internal errors.")(f)


def _positive_seconds(_ctx, _param, value: str | None) -> float | None:
    from .hook_command import positive_seconds

    return positive_seconds(value)


def timeout_option(f):
    """``--timeout SECONDS``: a limit on the checks of the whole run (the
    engine reports what was left as one bundle.timeout finding)."""
    return click.option("--timeout", metavar="SECONDS", callback=_positive_seconds,
                        help="Stop checking after SECONDS in all (a positive number); what "
                             "was left is reported as bundle.timeout.")(f)


class _CommandsWithPlugins(click.Group):
    """The top-level group: the core's commands, and those plugins add through
    ``aiart_release_register_commands``.

    Plugin commands are collected only when a command line needs them (help
    lists every command; an unknown name may be a plugin's), so a built-in
    command such as ``assess`` or ``--version`` does not wait for them. A
    plugin that breaks is reported and its commands are left out: ``--help``
    always works.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *CORE_GROUPS, *_plugin_commands(self)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return (self.commands.get(cmd_name) or _core_group(self, cmd_name)
                or _plugin_commands(self).get(cmd_name))


# Command groups of the core kept in their own modules (they import this
# one): name -> (module, attribute). Imported when their name is asked for,
# so that ``hook`` does not load the baseline editor or the exporters.
CORE_GROUPS = {
    "baseline": ("baseline_cli", "baseline"),
    "cache": ("cache_cli", "cache"),
    "export": ("export_cli", "export"),
}


def _core_group(group: click.Group, name: str) -> click.Command | None:
    if name not in CORE_GROUPS:
        return None
    import importlib

    module, attribute = CORE_GROUPS[name]
    command = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
    group.add_command(command, name)
    return command


def _plugin_commands(group: click.Group) -> dict[str, click.Command]:
    from .plugins import collect_commands

    registry = session.loaded_plugins()
    before = len(registry.failures)
    commands = collect_commands(registry, reserved={*group.commands, *CORE_GROUPS})
    session.warn_failures(registry.failures[before:])
    return commands


@click.group(cls=_CommandsWithPlugins, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aiart-release")
@debug_option
def cli() -> None:
    """Assess an AI-art release bundle (model, code, dataset) before you
    publish it, and get an open / gated / closed recommendation per artifact.

    Built on the four checkpoints of the Partnership on AI field guide
    "Making AI Art Responsibly": dataset, model code, training resources,
    publishing & attribution.
    """


def _executor_option(ctx, param, value):
    """``--executor`` checked before anything runs (one line, exit 2);
    dask itself is imported only when a run uses it."""
    from .executors import ExecutorError, parse_executor

    try:
        parse_executor(value)
    except ExecutorError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@cli.command()
@click.argument("path")
@click.option("--format", "-f", "fmt", default="terminal", show_default=True,
              help="Output format: terminal, json, or one a plugin adds (see `plugins`).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to FILE instead of standard output.")
@click.option("--force", is_flag=True, help="Let --output replace an existing file.")
@click.option("--fail-on", metavar="SEVERITY",
              help="Exit 1 when a finding is at or above SEVERITY "
                   "(info, low, medium, high, critical, or none; default: fail_on in the config, "
                   "else high when no release is declared and none when it is, the "
                   "declared tiers being the gate).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file (default: aiart-release.yaml or [tool.aiart-release] "
                   "in the bundle's pyproject.toml).")
@click.option("--policy", "policy_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Policy file that extends or replaces the default policy.")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Leave out files matching GLOB (gitignore style); repeatable.")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Worker processes for file checks (default: automatic).")
@click.option("--device", default="auto", show_default=True,
              help="Device for checks that run the model: auto, cpu, cuda or cuda:N.")
@click.option("--executor", default="local", show_default=True, metavar="local|dask[=ADDRESS]",
              callback=_executor_option,
              help="Where file checks run: this machine's process pool (local), a Dask "
                   "LocalCluster started for the run (dask; --jobs workers), or the Dask "
                   "scheduler at ADDRESS (dask=tcp://host:8786). Needs aiart-release[dask].")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--show-pii", is_flag=True,
              help="Show raw personal data in evidence (never written to the cache).")
@click.option("--strict", is_flag=True, help="Exit 3 when a plugin or check failed.")
@click.option("--trust-bundle-code", is_flag=True,
              help="Run the generator the bundle declares (model: in aiart-release.yaml) to "
                   "compare fresh samples with the training images. The only way anything "
                   "from the bundle is imported or run; even then only in a child process "
                   "with a time limit. Off by default: only for bundles you trust.")
@timeout_option
@debug_option
def assess(path, fmt, output, force, fail_on, config_path, policy_path, exclude, jobs, device,
           executor, no_cache, show_pii, strict, trust_bundle_code, timeout):
    """Assess the release bundle at PATH (a folder or a git work tree), or at
    an fsspec URL (file:///abs/folder, s3://bucket/release with s3fs
    installed): read there, never written to."""
    sys.exit(_run_assessment(
        path, fmt=fmt, output=output, force=force, fail_on=fail_on, config_path=config_path,
        policy_path=policy_path, exclude=exclude, jobs=jobs, device=device, executor=executor,
        use_cache=not no_cache, show_pii=show_pii, strict=strict, timeout=timeout,
        trust_bundle_code=trust_bundle_code,
    ))


def _shown_root(url: str, show_pii: bool) -> str:
    """A URL bundle's root as the report shows it: the URL (less any
    password in it), through the masking gate as a folder's path is."""
    if show_pii:
        return url
    from .masking import redact

    return redact(url)


def _run_assessment(path: str | Path, *, fmt: str, output: Path | None, force: bool = False,
                    fail_on: str | None, timeout: float | None = None,
                    config_path: Path | None, policy_path: Path | None, exclude=(),
                    jobs: int | None = None, device: str = "auto", executor: str = "local",
                    use_cache: bool = True,
                    show_pii: bool = False, strict: bool = False,
                    trust_bundle_code: bool = False) -> int:
    from .bundle import BundleError
    from .remote_source import opened_bundle

    try:
        with opened_bundle(path) as bundle:
            for note in bundle.notes:
                click.echo(f"aiart-release: {note}", err=True)
            return _assess_and_report(
                bundle.folder, bundle.shown, bundle.on_disk, fmt=fmt, output=output, force=force,
                fail_on=fail_on, timeout=timeout, config_path=config_path,
                policy_path=policy_path, exclude=exclude, jobs=jobs, device=device,
                executor=executor, use_cache=use_cache, show_pii=show_pii, strict=strict,
                trust_bundle_code=trust_bundle_code)
    except BundleError as exc:  # a URL that cannot be opened or listed
        raise UsageProblem(str(exc)) from None


def _assess_and_report(path: Path, url: str | None, on_disk: Path | None, *, fmt: str,
                       output: Path | None,
                       force: bool, fail_on: str | None, timeout: float | None,
                       config_path: Path | None, policy_path: Path | None, exclude,
                       jobs: int | None, device: str, executor: str, use_cache: bool,
                       show_pii: bool, strict: bool, trust_bundle_code: bool) -> int:
    """Assess the folder ``path`` (a URL bundle's copy, when ``url`` is the
    URL as reports show it; ``on_disk`` the bundle's own folder on this
    machine, if it has one) and write the report; the exit code."""
    from .bundle import BundleError, check_root

    # Refused at once, before the plugins load: a path that is no release
    # folder (/proc, a FIFO), a report that could not be written.
    try:
        check_root(path)
    except BundleError as exc:
        raise UsageProblem(str(exc)) from None
    # A report written into the bundle stays in it: no folder of the bundle
    # on the way may be a link out of it (a file:// bundle's own folder
    # too; a URL bundle's copy is removed after the run).
    within = on_disk if on_disk is not None and output is not None \
        and lexically_inside(output, on_disk) else None
    if output is not None:
        write_or_refuse(output, None, force=force, within=within)

    registry, config, policy = session.setup(path, fmt, device, config_path, policy_path,
                                      keep_derived=use_cache and not show_pii)
    threshold = session.severity(gate_threshold(fail_on, config))
    options = session.options(jobs=jobs, device=device, executor=executor, use_cache=use_cache,
                       show_pii=show_pii, exclude=exclude, timeout=timeout,
                       trust_bundle_code=trust_bundle_code)
    assessment = session.assess(path, registry, config, policy, options)
    if url is not None:
        assessment.bundle_path = _shown_root(url, show_pii)

    from .report import ReportOptions

    gate = assessment.gate(threshold)
    to_terminal = output is None and sys.stdout.isatty()
    report_options = ReportOptions(
        show_pii=show_pii, color=to_terminal and not os.environ.get("NO_COLOR"),
        width=None if to_terminal else 100,
        fail_on=threshold.value if threshold else None, gate=tuple(gate),
    )
    from .report import NothingToExport

    try:
        text = registry.reporters[fmt].render(assessment, report_options)
    except NothingToExport as exc:
        # A format about a part the bundle lacks (Croissant without a
        # dataset, gating with nothing gated): said, nothing written.
        click.echo(f"aiart-release: nothing to write: {exc}", err=True)
        text = None
    if text is None:
        pass
    elif output is not None:
        write_or_refuse(output, text, force=force, within=within)
        click.echo(f"aiart-release: report written to {shown(output)}", err=True)
    else:
        click.echo(text, nl=False)

    if strict and assessment.plugin_failed:
        click.echo("aiart-release: a plugin or check failed (--strict)", err=True)
        return EXIT_INTERNAL
    return EXIT_GATE if gate else EXIT_OK


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--all-files", "all_staged", is_flag=True,
              help="Check every staged file, not only what the commit changes.")
@click.option("--fail-on", metavar="SEVERITY", default=None,
              help="Fail the commit at or above SEVERITY (default: as assess: fail_on in the "
                   "config, else high when no release is declared).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@timeout_option
@debug_option
def hook(files, all_staged, fail_on, no_cache, timeout):
    """Pre-commit entry point: check what is staged for the commit.

    Reads the blobs in the git index, never the working tree: untracked and
    gitignored files are not read. FILES are the paths pre-commit passes
    (its files: and exclude: apply); with none, the files the index changes.
    When the repository declares its release (aiart-release.yaml), the whole
    staged bundle is judged against it, unchanged files from the cache.
    The same staged content checked again the same way is answered by the
    verdict stored the first time, without loading the plugins.
    """
    from .hook_command import HookArgs, run

    sys.exit(run(HookArgs(files=tuple(str(f) for f in files), all_staged=all_staged,
                          fail_on=fail_on, no_cache=no_cache, timeout=timeout)))


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="List plugins as JSON.")
@debug_option
def plugins_cmd(as_json):
    """List installed plugins: name, version, hooks and what they register."""
    registry = plugin_registry()
    _plugin_commands(cli)  # so that each plugin lists the commands it adds
    if as_json:
        import json

        payload = {
            "plugins": [p.to_dict() for p in registry.plugins],
            "failures": [
                {"plugin": f.plugin, "stage": f.stage, "error": f.error}
                for f in registry.failures
            ],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="aiart-release plugins", title_justify="left")
    for column in ("plugin", "version", "from", "hooks", "registers"):
        table.add_column(column, overflow="fold")
    for p in registry.plugins:
        registers = []
        if p.checks:
            registers.append("checks: " + ", ".join(p.checks))
        if p.reporters:
            registers.append("formats: " + ", ".join(p.reporters))
        if p.commands:
            registers.append("commands: " + ", ".join(p.commands))
        if p.rule_packs:
            registers.append(f"rule packs: {p.rule_packs}")
        if p.recognizers:
            registers.append(f"recognizers: {p.recognizers}")
        if p.error:
            registers.append(f"FAILED: {p.error}")
        source = "built-in" if p.builtin else (p.dist or p.module)
        hooks = ", ".join(h.removeprefix("aiart_release_") for h in p.hooks)
        table.add_row(Text(p.name, style="red" if p.error else ""), p.version or "-", source,
                      hooks or "-", Text("\n".join(registers) or "-"))
    Console(width=None if sys.stdout.isatty() else 120).print(table)
    checks = registry.checks
    if checks:
        listing = Table(title="checks", title_justify="left")
        for column in ("check", "checkpoint", "reads", "device", "plugin"):
            listing.add_column(column, overflow="fold")
        for cid, check in sorted(checks.items()):
            listing.add_row(cid, check.checkpoint.value, ", ".join(sorted(check.kinds)) or "bundle",
                            check.device, registry.check_owner[cid])
        Console(width=None if sys.stdout.isatty() else 120).print(listing)


@cli.command("facts")
@click.option("--format", "-f", "fmt", type=click.Choice(["terminal", "json", "markdown"]),
              default="terminal", show_default=True,
              help="markdown: the table of docs/facts.md.")
@debug_option
def facts_cmd(fmt):
    """List the declared facts the policy and misuse rules may name: name,
    type, meaning and provider (the core, or the checks that provide it)."""
    from .facts import declared_facts, facts_markdown, facts_rows

    declared = declared_facts(plugin_registry().checks.values())
    if fmt == "markdown":
        click.echo(facts_markdown(declared), nl=False)
        return
    if fmt == "json":
        import json

        click.echo(json.dumps(facts_rows(declared), indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="declared facts", title_justify="left")
    table.add_column("fact", no_wrap=True)
    for column in ("type", "meaning", "provider"):
        table.add_column(column, overflow="fold")
    for row in facts_rows(declared):
        table.add_row(row["fact"], row["type"], row["meaning"], row["provider"])
    Console(width=None if sys.stdout.isatty() else 120).print(table)


@cli.group()
def rules():
    """Misuse rules: list, show, validate and test rule packs."""


def _loaded_packs():
    from .readers.yamlfile import DataFileError
    from .rules import load_pack

    registry = plugin_registry()
    packs, problems = [], []
    for plugin, source in registry.rule_sources:
        try:
            packs.append((plugin, source, load_pack(source, plugin)))
        except DataFileError as exc:
            problems.append((plugin, exc.problems))
    for plugin, found in problems:
        click.echo(f"aiart-release: warning: rule pack from plugin {plugin!r} skipped: "
                   f"{found[0]}", err=True)
    return packs


@rules.command("list")
@click.option("--json", "as_json", is_flag=True, help="List rules as JSON.")
def rules_list(as_json):
    """Every misuse rule: id, title, pack and the plugin that supplied it."""
    rows = [{"id": r["id"], "title": r["title"], "pack": f"{pack.name} {pack.version}",
             "plugin": plugin, "likelihood": r["likelihood"], "impact": r["impact"]}
            for plugin, _, pack in _loaded_packs() for r in pack.rules]
    rows.sort(key=lambda r: r["id"])
    if as_json:
        import json

        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="misuse rules", title_justify="left")
    table.add_column("rule", no_wrap=True)
    for column in ("title", "pack", "plugin"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(r["id"], r["title"], r["pack"], r["plugin"])
    Console(width=None if sys.stdout.isatty() else 120).print(table)


@rules.command("show")
@click.argument("rule_id")
def rules_show(rule_id):
    """One rule in full: conditions, scenario, mitigations."""
    import yaml

    for plugin, _, pack in _loaded_packs():
        for rule in pack.rules:
            if rule["id"] == rule_id:
                click.echo(f"# from pack {pack.name} {pack.version} (plugin {plugin})")
                click.echo(yaml.safe_dump(rule, sort_keys=False, allow_unicode=True, width=88))
                return
    raise UsageProblem(f"no rule {rule_id!r} (see `aiart-release rules list`)")


@rules.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def rules_validate(files):
    """Check rule pack files against the rule schema; errors as
    file:line:column with what was expected (exit 2)."""
    from .readers.yamlfile import DataFileError
    from .rules import load_pack

    failed = False
    for path in files:
        try:
            pack = load_pack(path)
        except DataFileError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(problem, err=True)
            continue
        click.echo(f"{path}: ok ({pack.name} {pack.version}, {len(pack.rules)} rules)")
    sys.exit(EXIT_USAGE if failed else EXIT_OK)


@rules.command("test")
@click.argument("path", required=False, type=click.Path(path_type=Path, exists=True))
def rules_test(path):
    """Run the positive and negative fixtures of every rule (of the pack
    file PATH, or of every installed pack); exit 1 when one fails."""
    from .readers.yamlfile import DataFileError
    from .rules import fixtures_of, load_pack, run_fixtures

    if path is not None:
        try:
            targets = [("file", path, load_pack(path))]
        except DataFileError as exc:
            raise UsageProblem(exc.problems[0]) from None
    else:
        targets = _loaded_packs()
    failures = 0
    total = 0
    for _, source, pack in targets:
        results = run_fixtures(pack, fixtures_of(source))
        for result in results:
            total += 1
            if not result.passed:
                failures += 1
                why = result.error or (f"expected the scenario to be "
                                       f"{'raised' if result.expected else 'silent'}")
                click.echo(f"FAIL {result.rule} {result.name}: {why}")
        passed = sum(r.passed for r in results)
        click.echo(f"{pack.name} {pack.version}: {passed}/{len(results)} fixtures pass")
    sys.exit(EXIT_GATE if failures else EXIT_OK)


@cli.command()
@click.argument("path", default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing aiart-release.yaml.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to FILE instead (required for a bundle at a URL, never written to).")
def init(path, force, output):
    """Write a commented aiart-release.yaml into PATH (default: here), a
    folder or a URL as for assess, or to --output FILE."""
    from .bundle import BundleError, check_root
    from .remote_source import folder_at, is_url, shown_url

    try:
        folder = folder_at(path) if is_url(path) else Path(path)
        if folder is not None and folder.is_file():
            raise UsageProblem(f"'{shown(folder)}' is a file; init takes the bundle folder "
                               f"that holds it (try: aiart-release init {shown(folder.parent)})")
        if folder is not None and not folder.is_dir():
            raise UsageProblem(f"'{shown(folder)}' is not a folder")
        if folder is not None:
            check_root(folder)
    except BundleError as exc:
        raise UsageProblem(str(exc)) from None
    if output is None and is_url(path):
        raise UsageProblem(f"'{shown_url(path)}' is a bundle at a URL, which is never written "
                           "to: write its configuration here with --output aiart-release.yaml, "
                           "then copy it to the bundle's root")
    target = output or folder / "aiart-release.yaml"
    inside = folder is not None and lexically_inside(target, folder)
    write_or_refuse(target, CONFIG_TEMPLATE, force=force, within=folder if inside else None)
    shown_path = shown_url(path) if is_url(path) else shown(path)
    click.echo(f"wrote {shown(target)}: set `release` and `commercial`, then run "
               f"`aiart-release assess {shown_path}"
               + ("`" if inside else f" --config {shown(target)}`"))


def main(argv: list[str] | None = None) -> int:
    """Console entry point through click (entry.py runs the pre-commit hook
    without it); returns the exit code."""
    session.reset()  # plugins are loaded afresh for each invocation
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or session.debugging()

    def invoke() -> int | None:
        try:
            return cli.main(args=argv, prog_name="aiart-release", standalone_mode=False)
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except click.UsageError as exc:
            # One line, as every usage error: what is wrong, and where help is.
            command = exc.ctx.command_path if exc.ctx is not None else "aiart-release"
            message = " ".join(exc.format_message().split())
            click.echo(f"aiart-release: error: {message} (see `{command} --help`)", err=True)
            return EXIT_USAGE
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except click.exceptions.Abort:
            click.echo("aiart-release: aborted", err=True)
            return 130

    return session.ended(invoke, debug)
