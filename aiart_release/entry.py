"""The ``aiart-release`` command: the pre-commit hook read and run without
click (hook_command.py), every other command line through cli.py.

Kept apart from cli.py, which imports click and defines every command at
import, so that a commit that stages one caption does not wait for them.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["hook"]:
        from . import session
        from .hook_command import fast_main

        session.reset()
        code = fast_main(args[1:])
        if code is not None:
            return code
    from .cli import main as cli_main

    return cli_main(argv)
