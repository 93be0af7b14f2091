"""Every file the tool writes goes through :func:`write_file`.

The tool writes only on request (``init``, ``credits``, ``assess --output``,
and later baselines and exports), and often into a bundle someone else made.
A hostile bundle can plant a link where the tool will write
(``CREDITS.md -> ~/.bashrc``), so a write here:

- goes to a temporary file in the target's own folder, is flushed to disk,
  then renamed over the target: a reader never sees half a file, and a
  failed write leaves the old file as it was;
- never goes through a symbolic link, dangling or not (the target is checked
  with ``lstat``; the rename replaces a link rather than following it, so a
  link planted after the check is not followed either);
- never leaves the folder it is meant for: when the target lies in a bundle,
  no folder on the way may be a link that leads out of the bundle;
- never replaces an existing file unless the user passed ``--force``.

A refusal is a :class:`WriteRefused` with a one-line message; the command
line turns it into exit code 2.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class WriteRefused(Exception):
    """The tool will not, or cannot, write this file (one line; exit 2)."""


def shown(path: os.PathLike | str) -> str:
    """A path as it can be printed: bytes that are not UTF-8 (a file name from
    another system) are shown as escapes instead of failing the output."""
    text = os.fspath(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def lexically_inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, as written, names something in ``folder`` (no link
    is resolved: this says what the user meant, not where it leads)."""
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents


def write_file(target: Path, content: str | bytes, *, force: bool = False,
               within: Path | None = None) -> None:
    """Write ``content`` (text is written as UTF-8) to ``target`` atomically.

    ``within``: the folder the file must stay in (the bundle), when the
    target lies in one. Raises :class:`WriteRefused`.
    """
    existing = check_target(target, force=force, within=within)
    # A file name from another system (bytes that are not UTF-8) quoted in
    # the text is written as an escape, not a failure.
    data = content.encode("utf-8", "backslashreplace") if isinstance(content, str) else content
    mode = stat.S_IMODE(existing.st_mode) if existing else _default_mode()
    _replace_atomically(Path(target), data, mode)


def check_target(target: Path, *, force: bool = False,
                 within: Path | None = None) -> os.stat_result | None:
    """Refuse now what :func:`write_file` would refuse, so that a long run
    does not end in a refusal; returns what is at ``target`` now (None when
    nothing is). Raises :class:`WriteRefused`."""
    target = Path(target)
    if target.name in ("", ".", ".."):
        raise WriteRefused(f"{shown(target)}: not a file name")
    _check_folder(target.parent, within)
    return _existing(target, force)


def _check_folder(folder: Path, within: Path | None) -> None:
    try:
        info = os.stat(folder)
    except OSError as exc:
        raise WriteRefused(f"cannot write into {shown(folder)}: "
                           f"{exc.strerror or exc}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise WriteRefused(f"cannot write into {shown(folder)}: not a folder")
    if within is not None:
        real_within = os.path.realpath(within)
        real = os.path.realpath(folder)
        if real != real_within and not real.startswith(real_within.rstrip(os.sep) + os.sep):
            raise WriteRefused(f"{shown(folder)} leads outside {shown(within)} through a "
                               "symbolic link; not written")


def _existing(target: Path, force: bool) -> os.stat_result | None:
    """What is at ``target`` now, if it may be replaced; refuses otherwise."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WriteRefused(f"cannot write {shown(target)}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise WriteRefused(f"{shown(target)} is a symbolic link; not written through it "
                           "(remove the link, or name another file)")
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused(f"{shown(target)} exists and is not a regular file; not written")
    if not force:
        raise WriteRefused(f"{shown(target)} exists (use --force to overwrite)")
    return info


def _default_mode() -> int:
    """Read and write for whoever the umask allows, as ``open`` would give."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _replace_atomically(target: Path, data: bytes, mode: int) -> None:
    import tempfile

    folder = target.parent
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=folder)
    except OSError as exc:
        raise WriteRefused(f"cannot write into {shown(folder)}: "
                           f"{exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        # rename(2) replaces whatever is at target, a link included, and
        # never follows it.
        os.replace(temporary, target)
    except OSError as exc:
        _remove_quietly(temporary)
        raise WriteRefused(f"cannot write {shown(target)}: {exc.strerror or exc}") from None
    except BaseException:
        _remove_quietly(temporary)
        raise
    _sync_folder(folder)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system allows
    opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
