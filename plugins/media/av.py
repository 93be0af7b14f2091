"""Audio and video metadata: location, creators, devices, encoders.

Field guide, dataset checkpoint: an audio or video file's tags can say where
it was recorded (a phone's ``©xyz`` atom in MP4/MOV, to the metre), who
performed or owns it, and which device recorded it. The ids mirror the image
ones (``image.gps-location`` -> ``media.gps-location``) so that a policy or
rule that weighs one can weigh the other, while saying which kind of file
it came from.

Example: ``data/clip.mp4`` with ``©xyz = +48.8583+002.2945/`` gets
``media.gps-location`` (high, "about 48.9° N, 2.3° E"), never the raw value.
Tags are read by mutagen, without decoding a sample.
"""

from __future__ import annotations

from aiart_release.checks import Check
from aiart_release.facts import Fact
from aiart_release.findings import Checkpoint, Finding, Location, Severity
from aiart_release.masking import mask, redact

# One shape for every metadata finding (context "metadata", dataset checkpoint).
from .check import _finding  # noqa: PLC2701 - shared within the media plugin

_SHOWN = 3


# Containers mutagen has no reader for: a video there is not unreadable,
# its tags are simply not read (said in docs/media.md).
_NO_TAG_READER = frozenset({".webm", ".mkv", ".avi", ".mpg", ".mpeg", ".flv"})


class AvMetadata(Check):
    id = "media-av"
    checkpoint = Checkpoint.DATASET
    description = "Audio and video metadata: GPS, creators, recording devices, encoders"
    kinds = frozenset({"audio", "video"})
    version = "2"  # 2: Ogg, WAV and AIFF tag limits, RIFF INFO and AIFF text tags
    findings = {
        "media.gps-location": "An audio or video file's metadata holds the position where it "
                              "was recorded",
        "media.creator-metadata": "An audio or video file's tags name its artist, performer, "
                                  "owner or copyright holder",
        "media.device": "An audio or video file's tags name the device that recorded it",
        "media.editing-metadata": "An audio or video file's tags name its encoder or its "
                                  "recording time with a time zone",
        "bundle.unreadable": "An audio or video file that could not be read",
    }
    provides = {
        "geotagged_media": Fact(int, "how many audio and video files hold a GPS position"),
    }

    def scan_file(self, file, ctx):
        from aiart_release.readers.media import UnreadableMedia, read_av_metadata

        if file.size == 0:
            return [_unreadable(file, "the file is empty")]
        if file.suffix in _NO_TAG_READER:
            return []  # mutagen reads no Matroska/WebM, AVI or MPEG-PS tags: not checked
        try:
            meta = read_av_metadata(file.abspath)
        except UnreadableMedia as exc:
            return [_unreadable(file, str(exc))]
        return list(av_findings(file.path, meta))

    def facts(self, findings):
        ours = [f for f in findings if f.check in ("", self.id)]
        return {"geotagged_media": sum(1 for f in ours if f.id == "media.gps-location")}


def av_findings(path: str, meta):
    from aiart_release.readers.media import describe_location

    if meta.location is not None:
        place = describe_location(meta.location)
        yield _finding("media.gps-location", Severity.HIGH, path,
                       f"Recording position in the file's tags ({', '.join(meta.location_tags)}):"
                       f" {place} (coarsened to about 10 km)",
                       "Remove the location tag before release (`exiftool -Keys:GPSCoordinates= "
                       "-UserData:GPSCoordinates= -XMP:all= FILE`, or remux without metadata: "
                       "`ffmpeg -i IN -map_metadata -1 -c copy OUT`)",
                       evidence=place, matched=place)
    if meta.creators:
        yield _entries("media.creator-metadata", Severity.LOW, path, meta.creators,
                       "Artist, performer or copyright in the file's tags", "words",
                       "Check that the named people agreed to the release and are credited; "
                       "strip the tags if they name private people")
    if meta.devices:
        yield _entries("media.device", Severity.LOW, path, meta.devices,
                       "Recording device in the file's tags", None,
                       "Remove the device tags if they tie recordings to one person's phone "
                       "(`ffmpeg -i IN -map_metadata -1 -c copy OUT`)")
    if meta.editing:
        yield _finding("media.editing-metadata", Severity.INFO, path,
                       f"Encoder or recording time in {_tags(meta.editing)}",
                       "Nothing to do unless the time zone says more than you mean to publish",
                       evidence=redact("; ".join(dict.fromkeys(e.value[:80]
                                                               for e in meta.editing[:_SHOWN]))))


def _entries(finding_id, severity, path, entries, message, kind, remediation):
    shown = list(dict.fromkeys((e.value, _kind_of(e.tag, kind)) for e in entries))
    return _finding(finding_id, severity, path, f"{message} ({_tags(entries)})", remediation,
                    # a device name is no personal data: it goes through the gate only
                    evidence="; ".join(mask(v[:120], k) if k else redact(v[:120])
                                       for v, k in shown[:_SHOWN]),
                    matched="; ".join(dict.fromkeys(v for v, _ in shown)))


def _kind_of(tag: str, kind: str | None) -> str | None:
    """How a value is masked: a Broadcast WAV OriginatorReference holds the
    recorder's serial number (EBU R 99), masked like any serial."""
    return "id" if kind is None and ("Reference" in tag or "Serial" in tag) else kind


def _tags(entries) -> str:
    return ", ".join(dict.fromkeys(e.tag for e in entries))


def _unreadable(file, reason: str) -> Finding:
    return Finding(id="bundle.unreadable", severity=Severity.MEDIUM,
                   message=f"Audio or video file could not be read: {reason}",
                   location=Location(path=file.path), checkpoint=Checkpoint.DATASET,
                   remediation="Re-export the file from its source, give it the extension of "
                               "its format, or exclude it in aiart-release.yaml")
