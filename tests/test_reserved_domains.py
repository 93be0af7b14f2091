"""Addresses at names reserved for documentation and tests (RFC 2606:
example.com, example.net, example.org and their subdomains; RFC 6761: the
.example, .test, .invalid and .localhost TLDs) reach no one: they are
nobody's personal data and are not reported, wherever they are written.

Each file with documentation addresses has a twin with one real-looking
address in the same place, which must be reported: the place is read, and
only the reserved names are passed over."""

from __future__ import annotations

import io
import json

import pytest
from conftest import make_bundle, run_tool
from PIL import Image, PngImagePlugin

from aiart_release.ignores import is_reserved_email

REAL = "maria.gonzalez@postbox-mail.org"  # invented, at a name nobody reserved
DOCUMENTATION = ("jane@example.com", "press@studio.example.org", "bot@ci.test",
                 "hello@lab.example.net")


def _png(prompt: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", prompt + "\nNegative prompt: blurry\nSteps: 20, Seed: 42")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _files(address: str | None) -> dict[str, str | bytes]:
    """One file of each kind with the documentation addresses, and
    ``address`` (a real one) too when given; the reserved names alone when
    not."""
    extra = address or ""
    rows = "".join(f"img/{i}.png,portrait in soft light sent by {a}\n"
                   for i, a in enumerate(DOCUMENTATION))
    return {
        "captions.csv": "file,caption\n" + rows + (
            f"img/9.png,portrait sent by {extra}\n" if extra else ""),
        "img/0.txt": f"studio portrait, prints from {DOCUMENTATION[0]} {extra}\n",
        "README.md": ("---\nlicense: cc-by-4.0\n---\n# Portraits\n\n"
                      f"Questions about this dataset: write to {DOCUMENTATION[1]} "
                      f"or {DOCUMENTATION[2]}. {extra}\n"),
        "train.py": (f'"""Training script. Maintainer: {DOCUMENTATION[3]} {extra}"""\n'
                     f"# bug reports to {DOCUMENTATION[0]}\n"
                     f'CONTACT = "{DOCUMENTATION[1]}"\n'),
        "img/sample.png": _png(f"portrait of a fox, send prints to {DOCUMENTATION[0]} {extra}"),
    }


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """``assess -f json`` of a bundle with only documentation addresses
    (``documentation/``) and their twins with a real one (``real/``)."""
    root = tmp_path_factory.mktemp("reserved")
    files = {"LICENSE": "MIT\n"}
    files.update({f"documentation/{p}": c for p, c in _files(None).items()})
    files.update({f"real/{p}": c for p, c in _files(REAL).items()})
    bundle = make_bundle(root / "b", files)
    result = run_tool("assess", bundle, "-f", "json", "--no-cache", "--show-pii")
    report = json.loads(result.out)
    return [f for f in report["findings"] if f["id"] == "pii.email-address"]


WHERE = ["captions.csv", "img/0.txt", "README.md", "train.py", "img/sample.png"]


@pytest.mark.parametrize("name", WHERE)
def test_documentation_addresses_are_not_personal_data(reports, name):
    assert [f for f in reports if f["location"]["path"] == f"documentation/{name}"] == []


@pytest.mark.parametrize("name", WHERE)
def test_a_real_address_next_to_them_is_still_reported_alone(reports, name):
    found = [f for f in reports if f["location"]["path"] == f"real/{name}"]
    assert found, f"no e-mail address reported in real/{name}"
    # --show-pii: the evidence is the raw values; only the real one is there.
    assert {f["evidence"] for f in found} == {REAL}
    assert sum(f["count"] for f in found) == 1


def test_in_a_table_only_the_row_with_a_real_address_counts(reports):
    [cells] = [f for f in reports if f["location"]["path"] == "real/captions.csv"]
    assert cells["location"]["row"] == len(DOCUMENTATION) + 1
    assert "1 of 5 rows" in cells["message"]


def test_the_analyzer_drops_the_address_and_what_it_covers():
    """An address hides the URL and the handle inside it (``@example``,
    ``example.com``); dropping the address must not bring those back."""
    from aiart_release.default_plugins.personal_data.check import _analyzer

    analyzer = _analyzer({}, ())
    texts = [("Contact Jane <jane@example.com> or @jane", "notes"),
             ("mail jane@mail.example.org, bot@ci.test, x@example.net", "caption"),
             (f"jane@example.com or {REAL}", "caption")]
    found = analyzer.analyze(texts)
    values = [[(h.entity, h.value) for h in hits if h.entity != "PERSON"] for hits in found]
    assert not any(is_reserved_email(v) or "example" in v for hits in values for _, v in hits)
    assert ("EMAIL_ADDRESS", REAL) in values[2]


@pytest.mark.parametrize("address, reserved", [
    ("jane@EXAMPLE.COM", True), ("jane@example.com.", True), ("a@deep.sub.example.org", True),
    ("a@example.test", True), ("a@x.localhost", True),
    ("jane@example.com.au", False), ("jane@examples.com", False), ("jane@example.co", False),
    ("jane@test.com", False), ("jane@localhost.net", False), (REAL, False),
])
def test_which_names_are_reserved(address, reserved):
    assert is_reserved_email(address) is reserved
