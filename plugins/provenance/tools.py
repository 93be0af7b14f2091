"""Scraping tools in a bundle: code files grouped into the package or script
set they belong to, and each group judged once.

A package whose thirteen modules import its own downloader is one scraper,
not thirteen: it is reported once, on the module that does the fetching.
Imports of the bundle's own modules are the project's code, not a tool.
Test fixtures and vendored or generated files are not the release's tools.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from aiart_release.readers.text import TextUnreadable, read_text
from aiart_release.records import dataclass

if TYPE_CHECKING:  # the code reader is imported when there is code to read
    from .scraping import Profile

MAX_CODE_BYTES = 4 * 1024 * 1024
# Notebooks carry their outputs (images as base64): read whole, up to this.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
# Named in one file that fetches, a site is a target; named only elsewhere
# in the package (a "share on X" link), it takes several to make one.
MIN_SITES_ACROSS_FILES = 3
_SKIPPED_CONTEXTS = {"generated", "fixture"}


@dataclass
class Tool:
    """One package or script set that collects works from websites."""

    name: str  # the package, or the folder of a script set
    kind: str  # "package", "scripts" or "script"
    path: str  # the file that does the fetching: where the finding goes
    files: list[str] = field(default_factory=list)  # its files that fetch
    collectors: set[str] = field(default_factory=set)
    clients: set[str] = field(default_factory=set)
    targets: set[str] = field(default_factory=set)
    platforms: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)  # folders its code names

    @property
    def label(self) -> str:
        if self.kind == "package":
            return f"package `{self.name}`"
        if self.kind == "scripts":
            return f"scripts in `{self.name or '.'}/`"
        return f"`{self.path}`"

    @property
    def reasons(self) -> list[str]:
        why = sorted(self.collectors) + sorted(self.targets)
        if self.platforms:
            shown = sorted(self.platforms)[:4]
            more = len(self.platforms) - len(shown)
            why.append("names " + ", ".join(shown) + (f" (+{more} more)" if more > 0 else ""))
        return why


def _packages(paths: set[str]) -> dict[str, str]:
    """Folder -> the root folder of the Python package it belongs to."""
    inits = {str(PurePosixPath(p).parent) for p in paths if p.endswith("/__init__.py")}
    roots: dict[str, str] = {}
    for folder in inits:
        root = PurePosixPath(folder)
        while str(root.parent) in inits:
            root = root.parent
        roots[folder] = str(root)
    return roots


def find_tools(inventory, card_texts: tuple[str, ...] = ()) -> list[Tool]:
    """The scraping tools of the bundle, one per package or script set.
    ``card_texts``: the cards, whose links to the release's weights or data
    name its distribution hosts."""
    code = [f for f in inventory.of_kind("code") if f.readable and f.context not in
            _SKIPPED_CONTEXTS and f.size <= (MAX_NOTEBOOK_BYTES if f.suffix == ".ipynb"
                                             else MAX_CODE_BYTES)]
    if not code:
        return []
    from .scraping import linked_release_hosts, profile_code

    paths = {f.path for f in inventory.files}
    packages = _packages(paths)
    stems: dict[str, set[str]] = defaultdict(set)
    for p in paths:
        if p.endswith(".py"):
            stems[PurePosixPath(p).parent.as_posix()].add(PurePosixPath(p).stem)
    package_names = frozenset(PurePosixPath(r).name for r in set(packages.values()))
    groups: dict[tuple[str, str], list[Profile]] = defaultdict(list)
    # Which files (or cards) download or link weights or data on each host.
    hosts: dict[str, set[str]] = defaultdict(set)
    for host in distribution_hosts(linked_release_hosts((*card_texts,
                                                         *_readmes(inventory)))):
        hosts[host].add("")  # a card or README: never the file being judged
    for f in code:
        try:
            source, _ = read_text(f.abspath, MAX_NOTEBOOK_BYTES)
        except TextUnreadable:
            continue
        folder = PurePosixPath(f.path).parent.as_posix()
        own = package_names | stems[folder]
        profile = profile_code(f.path, source, f.suffix, own)
        for host in distribution_hosts(profile.download_hosts):
            hosts[host].add(f.path)
        if not (profile.fetches or profile.targets or profile.platforms):
            continue
        root = packages.get(folder)
        key = ("package", root) if root else ("scripts", "" if folder == "." else folder)
        groups[key].append(profile)
    for profiles in groups.values():
        for profile in profiles:
            # The release's distribution is named elsewhere: by another
            # script or a card, not only by the file that crawls it.
            _drop_own_targets(profile, {h for h, paths in hosts.items()
                                        if paths - {profile.path}})
    tools = [tool for (kind, name), profiles in sorted(groups.items())
             if (tool := _judge(kind, name, profiles)) is not None]
    return tools


MAX_README_BYTES = 1024 * 1024


def _readmes(inventory) -> list[str]:
    """READMEs near the top that no card check took for a card: where a
    project links its checkpoints and data."""
    texts = []
    for f in inventory.files:
        if f.readable and f.kind == "text" and f.path.count("/") <= 1 and \
                f.name.lower().startswith("readme") and f.size <= MAX_README_BYTES:
            try:
                texts.append(read_text(f.abspath, MAX_README_BYTES)[0])
            except TextUnreadable:
                continue
    return texts


def distribution_hosts(hosts: set[str]) -> set[str]:
    """Of the hosts the release downloads its weights or data files from,
    those that can be its own distribution: never a forum, social platform
    or gallery, whose pages are others' works whatever else they host."""
    from .scraping import platform_domains

    return {h for h in hosts if h and not platform_domains(h)}


def _drop_own_targets(profile: Profile, own_hosts: set[str]) -> None:
    """A crawl or a loop of fetches from the host the release distributes its
    own checkpoints or data from fetches the release's files, not others'."""
    for reason, hosts in list(profile.target_hosts.items()):
        if hosts and "" not in hosts and hosts <= own_hosts:
            profile.targets.discard(reason)
            profile.downloads.update(hosts)


def _judge(kind: str, name: str, profiles: list[Profile]) -> Tool | None:
    if kind == "scripts":
        # Scripts side by side need not work together: each is judged on its
        # own, and those that scrape are reported together.
        scraping = [p for p in profiles if _judge("script", name, [p]) is not None]
        if not scraping:
            return None
        profiles = scraping
    fetching = [p for p in profiles if p.fetches]
    if not fetching:
        return None
    collectors = set().union(*(p.collectors for p in fetching))
    targets = set().union(*(p.targets for p in profiles))
    platforms = set().union(*(p.platforms for p in fetching))
    everywhere = set().union(*(p.platforms for p in profiles))
    if len(everywhere) >= MIN_SITES_ACROSS_FILES:
        platforms = everywhere
    if not (collectors or targets or platforms):
        return None  # it downloads weights, code or dependencies: not others' works

    def score(p: Profile) -> tuple:
        return (-4 * bool(p.collectors) - 2 * bool(p.targets or p.platforms)
                - min(p.media_io, 3), p.path.count("/"), p.path)

    best = min(fetching, key=score)
    if kind == "scripts" and len(fetching) == 1:
        kind = "script"
    if kind == "script":
        name = str(PurePosixPath(best.path).parent)
    display = PurePosixPath(name).name if kind == "package" else name
    return Tool(
        name=display, kind=kind, path=best.path, files=sorted(p.path for p in fetching),
        collectors=collectors, clients=set().union(*(p.clients for p in fetching)),
        targets=targets, platforms=platforms,
        folders=set().union(*(p.folders for p in profiles)),
    )
