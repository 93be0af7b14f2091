"""`aiart-release cache info|clear`: where the result cache is, what it
holds, and how to empty it. The cache itself is in cache.py; this module
only reads and removes it, never a bundle."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

# cache.py (and sqlite3) are imported by the commands, not here: this
# module is loaded for every `aiart-release --help`.


@click.group("cache")
def cache() -> None:
    """The result cache: what it holds (info), and emptying it (clear).

    It lives outside every bundle, in $AIART_RELEASE_CACHE_DIR or
    $XDG_CACHE_HOME/aiart-release; its size limit is
    $AIART_RELEASE_CACHE_MAX_MB (256 by default). `--no-cache` on assess
    and hook neither reads nor writes it."""


@cache.command("info")
@click.option("-f", "--format", "fmt", type=click.Choice(["terminal", "json"]),
              default="terminal", show_default=True, help="Output format.")
def info(fmt: str) -> None:
    """Location, entries, size on disk and the last run's hits."""
    from .cache import default_cache_dir, describe

    described = describe(default_cache_dir())
    if fmt == "json":
        click.echo(json.dumps(described, indent=2))
    else:
        click.echo(_as_text(described), nl=False)


@cache.command("clear")
def clear_command() -> None:
    """Remove every cached result (the next run is a cold one)."""
    from .cache import clear, default_cache_dir
    from .cli import UsageProblem

    directory = default_cache_dir()
    try:
        freed = clear(directory)
    except OSError as exc:
        raise UsageProblem(f"cannot clear the cache in {directory}: {exc}") from None
    click.echo(f"cleared the cache in {directory} ({_size(freed)} freed)")


def _as_text(d: dict[str, Any]) -> str:
    from .cache import ENV_CACHE_DIR, ENV_CACHE_MAX_MB

    lines = [f"location: {d['location']}"]
    if d["state"] == "absent":
        lines.append("state:    empty (no run has written it yet)")
    elif d["state"] != "ok":
        lines.append(f"state:    not used: {d['state']}")
    else:
        parts = [f"{d.get(name, 0):,} {label}" for name, label in (
            ("hook_verdicts", "hook verdicts"), ("kinds", "remembered file kinds"),
            ("plans", "whole-bundle plans")) if d.get(name, 0)]
        among = f"; among the results: {', '.join(parts)}" if parts else ""
        lines.append(f"entries:  {d['results']:,} results, "
                     f"{d['file_hashes']:,} file hashes{among}")
    lines.append(f"size:     {_size(d['bytes_on_disk'])} on disk; limit {_size(d['limit_bytes'])}"
                 f" or {d['limit_entries']:,} results (set {ENV_CACHE_MAX_MB}, in MB)")
    run = d["last_run"]
    if run:
        when = datetime.fromtimestamp(run["at"], UTC).strftime("%Y-%m-%d %H:%M UTC")
        looked = run["hits"] + run["misses"]
        rate = f" ({run['hits'] / looked:.0%})" if looked else ""
        lines.append(f"last run: {when}: {run['hits']:,} hits{rate}, {run['misses']:,} misses,"
                     f" {run['written']:,} written, {run['evicted']:,} evicted")
    lines.append(f"derived:  {d['derived_files']} name lists built from installed packages")
    lines.append(f"(move it with {ENV_CACHE_DIR}; `aiart-release cache clear` empties it)")
    return "\n".join(lines) + "\n"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
