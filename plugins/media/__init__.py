"""Built-in plugin: what images say about where, when, by whom and with
what they were made (EXIF, XMP, IPTC, PNG text chunks), read without
decoding their pixels by the core reader ``aiart_release.readers.media``;
and the faces in dataset images and sample outputs (``faces``)."""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import MediaMetadata

    register(MediaMetadata())
