"""A plugin with a typo in a hook name: it must be reported, not ignored."""

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_check(register):  # missing "s"
    pass
