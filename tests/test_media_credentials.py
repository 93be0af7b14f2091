"""Content credentials (plugins/media/credentials.py): C2PA manifests signed
here with c2pa-python under a test CA made here, a tampered copy, IPTC
DigitalSourceType in XMP, and sample/output images without a declaration.
c2pa-python reads offline: a test runs it with sockets blocked."""

from __future__ import annotations

import datetime
import io
import socket

import pytest
from conftest import make_bundle
from PIL import Image, PngImagePlugin

from aiart_release.bundle import build_inventory
from aiart_release.checks import FileContext, finding_problem
from aiart_release.default_plugins.media.credentials import ContentCredentials, is_output_path
from aiart_release.plugins import build_registry
from aiart_release.readers.media import read_credentials, read_metadata

c2pa = pytest.importorskip("c2pa")
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


def _certificates():
    """A test CA and a leaf signing certificate (ES256), as C2PA wants them:
    the leaf is not self-signed, signs digitally, for e-mail protection."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aiart-release tests")])

    now = datetime.datetime.now(datetime.UTC)
    days = datetime.timedelta(days=1)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Test CA")).issuer_name(name("Test CA"))
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - days).not_valid_after(now + 30 * days)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("Test signer")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - days).not_valid_after(now + 30 * days)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + ca.public_bytes(pem)
    private = key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return chain, private


def signed_jpeg(source_type: str = TRAINED, remote_url: str | None = None) -> bytes:
    """A JPEG with a C2PA manifest whose c2pa.created action declares
    ``source_type``; with ``remote_url``, the manifest is not embedded and
    the image points to it there."""
    chain, private = _certificates()
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"es256", sign_cert=chain,
                                                       private_key=private, ta_url=None))
    manifest = {"claim_generator_info": [{"name": "aiart-release-test", "version": "1"}],
                "title": "sample", "assertions": [{"label": "c2pa.actions", "data": {
                    "actions": [{"action": "c2pa.created", "digitalSourceType": source_type}]}}]}
    source = io.BytesIO(jpeg())
    out = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        if remote_url:
            builder.set_no_embed()
            builder.set_remote_url(remote_url)
        builder.sign(signer, "image/jpeg", source, out)
    return out.getvalue()


def tampered(data: bytes) -> bytes:
    """The signed JPEG with one byte of its pixel data changed."""
    changed = bytearray(data)
    changed[-200] ^= 0xFF
    return bytes(changed)


def jpeg(xmp: bytes | None = None) -> bytes:
    out = io.BytesIO()
    params = {"xmp": xmp} if xmp else {}
    Image.new("RGB", (64, 48), (200, 80, 40)).save(out, "JPEG", **params)
    return out.getvalue()


def xmp_source(uri: str, as_resource: bool = False) -> bytes:
    prop = (f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{uri}"/>' if as_resource
            else f"<Iptc4xmpExt:DigitalSourceType>{uri}</Iptc4xmpExt:DigitalSourceType>")
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
            + prop.encode() + b"</rdf:Description></rdf:RDF></x:xmpmeta>")


def generated_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a fox in snow\nSteps: 20, Sampler: Euler a, CFG scale: 7, "
                                "Seed: 1, Size: 64x48")
    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def scan(tmp_path, files):
    root = make_bundle(tmp_path / "bundle", files)
    inventory = build_inventory(root, build_registry().classify)
    check = ContentCredentials()
    return {f.path: list(check.scan_file(f, FileContext())) for f in inventory.files
            if f.kind in check.kinds}


def ids(found):
    return {f.id for f in found}


# --- the reader ------------------------------------------------------------------


def test_signed_manifest_is_valid_and_declares_trained_media(tmp_path):
    path = tmp_path / "signed.jpg"
    path.write_bytes(signed_jpeg())
    credentials = read_credentials(path, "JPEG")
    assert credentials.state == "Valid" and credentials.valid
    assert credentials.source_types == [TRAINED]
    assert credentials.generator == "aiart-release-test"


def _state_in_a_forked_child(path, pipe):
    pipe.send(read_credentials(path, "JPEG").state)
    pipe.close()


def test_a_process_forked_after_validating_validates_with_its_own_context(tmp_path):
    """A pool or Dask worker forked from a process that has read credentials
    must not use the parent's c2pa context: its native threads are gone in
    the child, and every manifest came back invalid there."""
    import multiprocessing

    path = tmp_path / "signed.jpg"
    path.write_bytes(signed_jpeg())
    assert read_credentials(path, "JPEG").state == "Valid"  # the parent's context made
    fork = multiprocessing.get_context("fork")
    ours, theirs = fork.Pipe()
    child = fork.Process(target=_state_in_a_forked_child, args=(path, theirs))
    child.start()
    assert ours.poll(60) and ours.recv() == "Valid"
    child.join(10)


def test_tampered_manifest_is_invalid_with_its_reason(tmp_path):
    path = tmp_path / "tampered.jpg"
    path.write_bytes(tampered(signed_jpeg()))
    credentials = read_credentials(path, "JPEG")
    assert credentials.state == "Invalid" and not credentials.valid
    assert any("hash" in e.lower() for e in credentials.errors)


def test_image_without_manifest_has_no_state(tmp_path):
    path = tmp_path / "plain.jpg"
    path.write_bytes(jpeg())
    assert read_credentials(path, "JPEG").state is None


@pytest.mark.parametrize("as_resource", [False, True])
def test_xmp_digital_source_type_is_read(tmp_path, as_resource):
    path = tmp_path / "x.jpg"
    path.write_bytes(jpeg(xmp_source(TRAINED, as_resource)))
    assert [e.value for e in read_metadata(path).source_types] == [TRAINED]


def test_reading_credentials_opens_no_socket(tmp_path, monkeypatch):
    """OCSP, remote manifests and trust lists are off: c2pa-python reads a
    signed and a tampered image with every Python socket refused (its
    native fetches would fail the same way: the settings turn them off)."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    signed = tmp_path / "signed.jpg"
    signed.write_bytes(signed_jpeg())
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(tampered(signed.read_bytes()))
    assert read_credentials(signed, "JPEG").state == "Valid"
    assert read_credentials(broken, "JPEG").state == "Invalid"


def test_remote_manifest_is_never_fetched(tmp_path):
    """c2pa-python fetches a remote manifest by default, natively (a Python
    socket patch cannot see it): a listening socket on localhost, which
    counts and closes what connects, is the witness. Our reader never
    connects; c2pa's defaults do (the control)."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    path = tmp_path / "remote.jpg"
    path.write_bytes(signed_jpeg(remote_url=f"http://127.0.0.1:{server.getsockname()[1]}/m"))
    try:
        credentials = read_credentials(path, "JPEG")
        assert credentials.state == "Remote" and not credentials.valid
        assert accepted == []
        with path.open("rb") as fh, pytest.raises(c2pa.C2paError):
            c2pa.Reader("image/jpeg", fh)  # c2pa's default settings
        assert accepted
    finally:
        stop.set()
        thread.join()
        server.close()


# --- the check ---------------------------------------------------------------------


def test_disclosure_findings_per_image(tmp_path):
    signed = signed_jpeg()
    found = scan(tmp_path, {
        "samples/c2pa.jpg": signed,
        "samples/iptc.jpg": jpeg(xmp_source(TRAINED)),
        "samples/plain.jpg": jpeg(),
        "outputs/tampered.jpg": tampered(signed),
        "outputs/camera.jpg": jpeg(xmp_source(CAPTURE)),
        "outputs/remote.jpg": signed_jpeg(remote_url="http://127.0.0.1:9/m"),
        "data/prompted.png": generated_png(),
        "data/photo.jpg": jpeg(),
    })
    assert ids(found["samples/c2pa.jpg"]) == {"image.ai-disclosed"}
    assert "C2PA trainedAlgorithmicMedia" in found["samples/c2pa.jpg"][0].message
    assert ids(found["samples/iptc.jpg"]) == {"image.ai-disclosed"}
    [plain] = found["samples/plain.jpg"]
    assert plain.id == "image.no-ai-disclosure" and plain.severity.value == "low"
    # a broken manifest's declaration is not trusted
    assert ids(found["outputs/tampered.jpg"]) == {"image.content-credentials-invalid",
                                                 "image.no-ai-disclosure"}
    assert ids(found["outputs/camera.jpg"]) == {"image.no-ai-disclosure"}
    assert ids(found["outputs/remote.jpg"]) == {"image.content-credentials-remote",
                                               "image.no-ai-disclosure"}
    [prompted] = found["data/prompted.png"]
    assert prompted.id == "image.no-ai-disclosure" and prompted.severity.value == "medium"
    assert found["data/photo.jpg"] == []


def test_facts_count_disclosed_and_undisclosed(tmp_path):
    found = scan(tmp_path, {"samples/a.jpg": jpeg(xmp_source(TRAINED)),
                            "samples/b.jpg": jpeg(), "outputs/c.jpg": jpeg()})
    facts = ContentCredentials().provided_facts([f for fs in found.values() for f in fs])
    assert facts == {"ai_disclosed_images": 1, "undisclosed_outputs": 2}


def test_unreadable_image_is_left_to_the_media_check(tmp_path):
    assert scan(tmp_path, {"samples/bad.jpg": b"<html>not found</html>"}) == \
        {"samples/bad.jpg": []}


@pytest.mark.parametrize("path, output", [
    ("samples/a.png", True), ("x/outputs/b.jpg", True), ("Generated/c.png", True),
    ("data/d.jpg", False), ("samples.png", False),
])
def test_output_folders(path, output):
    assert is_output_path(path) is output


def test_findings_pass_the_engines_contract(tmp_path):
    signed = signed_jpeg()
    found = scan(tmp_path, {"samples/a.jpg": signed, "samples/b.jpg": tampered(signed)})
    flat = [f for fs in found.values() for f in fs]
    assert len(flat) == 3 and [finding_problem(f) for f in flat] == [None] * 3


def test_a_declaration_in_extended_xmp_counts(tmp_path):
    """Photoshop moves large properties to extended XMP (APP1 portions after
    the main packet); a DigitalSourceType there is a declaration too."""
    from test_media import extended_xmp_body, extended_xmp_segments, jpeg_with_extended_xmp

    declared = jpeg_with_extended_xmp(extended_xmp_segments(extended_xmp_body(padding=70_000)))
    found = scan(tmp_path, {"samples/a.jpg": declared})["samples/a.jpg"]
    assert ids(found) == {"image.ai-disclosed"}
    assert "IPTC DigitalSourceType trainedAlgorithmicMedia" in found[0].message
