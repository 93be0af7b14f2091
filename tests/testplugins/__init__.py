"""Plugins used by the tests, loaded through AIART_RELEASE_PLUGINS (the same
path as any unpackaged plugin) or build_registry(extra=...)."""
