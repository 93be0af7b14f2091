"""Files of a bundle that are copied when first opened.

A bundle at a URL (remote_source.py) and the hook's staged view lay out
their small files at once and leave media, weights and large tables to be
copied when something must read them (``Inventory.fetch``). The engine
copies before a check runs what the check says it reads (file checks:
their files; bundle checks: the kinds in ``bundle_reads``). What a bundle
check decides to open only at run time (a file a manifest lists with its
hash), and what a report reads afterwards (the sha256 of each file in a
Croissant or CycloneDX export), is copied when first opened: the path of
every file not on disk yet becomes a :class:`CopiedOnOpen` path, whose
``os.fspath`` (what ``open``, ``os.stat``, the ``Path`` methods, Pillow
and pyarrow call) copies the file first.

``Path(file.abspath)`` and ``str(file.abspath)`` give the name alone and
copy nothing: a check that reads files that way declares their kinds in
``bundle_reads`` or calls ``ctx.inventory.materialize(files)`` first
(docs/plugins.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .bundle import Inventory


class CopiedOnOpen(type(Path())):  # PosixPath or WindowsPath: subclassable before 3.12
    """A path in a bundle whose source copies files on demand; a path
    derived from it (``parent``, ``/ "sidecar.json"``) is one too, so a
    sibling left lazy is copied when opened as well. Each bundle has its
    own subclass (:func:`copying_class`), which holds the folder and the
    source's ``fetch``."""

    # (the bundle's folder followed by a separator, fetch(paths)); a tuple,
    # not a function, so that it is not bound as a method.
    _source: ClassVar[tuple[str, Callable[[list[str]], None]] | None] = None

    def __fspath__(self) -> str:
        text = str(self)
        source = type(self)._source
        if source is not None and text.startswith(source[0]):
            path = text[len(source[0]):].replace(os.sep, "/")
            try:
                source[1]([path])
            except OSError:
                raise
            except Exception as exc:  # noqa: BLE001 - a backend's own error: read as unreadable
                raise OSError(f"cannot copy {path} from its source: "
                              f"{type(exc).__name__}") from None
        return text

    def __reduce__(self):
        # Another process cannot copy: it gets the file copied, and a
        # plain path (also for pickling a dynamically made subclass).
        return Path, (self.__fspath__(),)


def copying_class(root: Path, fetch: Callable[[list[str]], None]) -> type[CopiedOnOpen]:
    """The :class:`CopiedOnOpen` paths of the bundle laid out at ``root``."""
    prefix = os.path.join(str(root), "")
    return type("CopiedOnOpen", (CopiedOnOpen,), {"_source": (prefix, fetch)})


def copy_on_open(inventory: Inventory) -> None:
    """Make the path of each file of ``inventory`` that is not on disk yet
    (left lazy by its source) a :class:`CopiedOnOpen` path, and its root
    one, so that whatever opens them from now on copies them first.
    Nothing for a folder on disk (no ``fetch``). The files stay equal, and
    hash alike, to what they were."""
    if inventory.fetch is None or isinstance(inventory.root, CopiedOnOpen):
        return
    paths = copying_class(inventory.root, inventory.fetch)
    for file in inventory.files:
        if not os.path.lexists(file.abspath):
            # A frozen dataclass: its path is set as dataclasses set it.
            object.__setattr__(file, "abspath", paths(file.abspath))
    inventory.root = paths(inventory.root)
