"""Built-in plugin: what images, sounds and videos say about where, when,
by whom and with what they were made (EXIF, XMP, IPTC, PNG text chunks,
container tags), read without decoding their pixels by the core reader
``aiart_release.readers.media``; the faces in dataset images and sample
outputs (``faces``); whether outputs declare themselves AI-generated
(``credentials``: C2PA, IPTC DigitalSourceType); whether cards describe the
images they show (``alt_text``); logos, watermarks and signatures repeated
across the dataset's images (``marks``); and, off by default, text in images
(``ocr``)."""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .alt_text import AltText
    from .av import AvMetadata
    from .check import MediaMetadata
    from .credentials import ContentCredentials
    from .marks import RepeatedMarks
    from .ocr import TextInImages

    register(MediaMetadata())
    register(ContentCredentials())
    register(AvMetadata())
    register(AltText())
    register(TextInImages())
    register(RepeatedMarks())
