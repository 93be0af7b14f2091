"""Perceptual hashes and the nearest search, from the memorisation plugin.

The only place this plugin reaches into another: samples generated here are
hashed and searched exactly as the memorisation check hashes and searches
the sample files a bundle holds, so that a near-copy means the same thing in
both. (docs/architecture.md: what two plugins share belongs in the core;
until the hashing moves there, this module is the one line to change.)
"""

from __future__ import annotations

from aiart_release.hamming import nearest
from aiart_release.readers.image_hash import hash_files, hash_image

__all__ = ["hash_files", "hash_image", "nearest"]
