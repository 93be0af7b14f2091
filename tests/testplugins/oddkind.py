"""A classifier that answers a kind aiart-release does not know ("lyrics"
for ``*.lyrics``), and one answer that is not even a string."""

from aiart_release import hookimpl


@hookimpl
def aiart_release_classify_file(file):
    if file.suffix == ".lyrics":
        return "lyrics"
    if file.suffix == ".score":
        return 42
    return None
