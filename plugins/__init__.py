"""Built-in plugins of aiart-release, installed as ``aiart_release.default_plugins``.

Each module is one concern and registers through the same
``aiart_release`` entry-point group as third-party plugins.
"""
