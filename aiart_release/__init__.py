"""aiart-release: assess an AI-art release bundle and recommend an open,
gated or closed release per artifact."""

from .hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
