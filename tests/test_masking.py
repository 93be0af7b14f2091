"""Masking personal data for evidence (aiart_release/masking.py).

Evidence must keep enough shape to recognise what was found (an e-mail
address, a name in two parts, a card ending 1111) and never the value
itself: DESIGN.md says raw personal data never appears in any output unless
the user passes ``--show-pii``. A table pins the style of each kind; a
property test over many generated values checks the promise itself.
"""

from __future__ import annotations

import random
import string

import pytest

from aiart_release.masking import mask

MASK_TABLE = [
    # e-mail: first character of each part and the top-level domain stay
    ("maria@example.com", "email", "m****@e******.com"),
    ("m.gonzalez@mail.example.co.uk", "email", "m*********@m***.e******.c*.uk"),
    ("maria@localhost", "email", "m****@l********"),
    ("not-an-email", "email", "n**-a*-e****"),  # no "@": masked as words
    # phone: the last two digits stay, separators stay
    ("+1 415-555-0123", "phone", "+* ***-***-**23"),
    ("(020) 7946 0958", "phone", "(***) **** **58"),
    ("born 14 March 1990", "phone", "**** ** ***** **90"),  # birth dates use it too
    # number (card, IBAN): the last four digits stay, letters go too
    ("4111 1111 1111 1111", "number", "**** **** **** 1111"),
    ("4111-1111-1111-1111", "number", "****-****-****-1111"),
    ("DE89 3704 0044 0532 0130 00", "number", "**** **** **** **** **30 00"),
    ("GB82WEST12345698765432", "number", "******************5432"),
    # id: nothing stays
    ("123-45-6789", "id", "***-**-****"),
    ("AB123456C", "id", "*********"),
    # url: the site stays (what kind of profile), the path does not
    ("https://instagram.com/maria.gonzalez", "url", "https://instagram.com/*****.********"),
    ("www.example.com/u/maria?x=1", "url", "www.example.com/*/*****?*=*"),
    ("not a url", "url", "n** a u**"),
    # handle: the prefix stays; a profile link is masked as a url
    ("@maria_g", "handle", "@m******"),
    ("@maria.gonzalez", "handle", "@m*************"),
    ("u/maria", "handle", "u/m****"),
    ("r/inkart", "handle", "r/i*****"),
    ("kitpaints", "handle", "k********"),
    ("artstation.com/kitpaints", "handle", "artstation.com/*********"),
    ("https://www.instagram.com/@ink.fox", "handle", "https://www.instagram.com/****.***"),
    # words: each word's first letter, punctuation and spaces stay
    ("Maria Gonzalez", "words", "M**** G*******"),
    ("O'Brien-Smith, Jr.", "words", "O'B****-S****, J*."),
    ("José Ñúñez", "words", "J*** Ñ****"),
    ("12 Baker Street", "words", "1* B**** S*****"),
    ("", "words", ""),
    # an unknown kind is masked as words
    ("Maria Gonzalez", "no-such-kind", "M**** G*******"),
]


@pytest.mark.parametrize("value, kind, expected", MASK_TABLE,
                         ids=[f"{k}:{v}" for v, k, _ in MASK_TABLE])
def test_mask_style_per_kind(value, kind, expected):
    assert mask(value, kind) == expected


def test_words_is_the_default_kind():
    assert mask("Maria Gonzalez") == "M**** G*******"


SUBDOMAIN_TABLE = [
    # A profile on its own subdomain: the name is the first label, so it goes
    # (this was a leak: a bare host came back unchanged).
    ("kitpaints.deviantart.com", "k********.deviantart.com"),
    ("inkfox.tumblr.com", "i*****.tumblr.com"),
    ("https://kitpaints.artstation.com", "https://k********.artstation.com"),
    ("www.artstation.com", "www.artstation.com"),  # "www" is nobody's name
]


@pytest.mark.parametrize("value, expected", SUBDOMAIN_TABLE, ids=[v for v, _ in SUBDOMAIN_TABLE])
def test_a_subdomain_profile_loses_its_name(value, expected):
    assert mask(value, "handle") == expected
    assert mask(value, "url") == expected


# --- the promise, over many values -------------------------------------------

LETTERS = string.ascii_letters + "éñøßçü"


def _word(rng: random.Random, low: int = 2, high: int = 12) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(low, high)))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _email(rng):
    local = rng.choice([_word(rng), f"{_word(rng)}.{_word(rng)}",
                        f"{_word(rng)}+{_digits(rng, 2)}"])
    host = ".".join(_word(rng, 2, 10).lower() for _ in range(rng.randint(1, 3)))
    return f"{local}@{host}.{rng.choice(['com', 'org', 'de', 'io'])}"


def _phone(rng):
    return rng.choice([
        f"+{rng.randint(1, 99)} {_digits(rng, 3)}-{_digits(rng, 3)}-{_digits(rng, 4)}",
        f"({_digits(rng, 3)}) {_digits(rng, 4)} {_digits(rng, 4)}",
        _digits(rng, rng.randint(7, 12)),
    ])


def _number(rng):
    # cards (13-19 digits, in groups or not) and IBANs
    card = _digits(rng, rng.randint(13, 19))
    return rng.choice([
        card,
        " ".join(card[i:i + 4] for i in range(0, len(card), 4)),
        rng.choice(["DE", "GB", "FR"]) + _digits(rng, 2) + _word(rng, 4, 4).upper()
        + _digits(rng, 14),
    ])


def _id(rng):
    return rng.choice([f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 4)}",
                       f"{_word(rng, 2, 2).upper()}{_digits(rng, 6)}C",
                       _digits(rng, 10)])


def _url(rng):
    site = rng.choice(["https://instagram.com", "www.artstation.com", "deviantart.com",
                       "https://example.org"])
    return f"{site}/{_word(rng, 4)}" + rng.choice(["", f"/{_word(rng)}", f"?u={_word(rng)}"])


def _handle(rng):
    name = _word(rng, 4)
    return rng.choice([f"@{name}", f"@{name}.{_word(rng)}", f"@{name}_{_digits(rng, 2)}",
                       f"u/{name}", name, f"instagram.com/{name}",
                       f"https://www.artstation.com/{name}",
                       f"{name.lower()}.deviantart.com", f"https://{name.lower()}.tumblr.com"])


def _words(rng):
    return " ".join(_word(rng) for _ in range(rng.randint(1, 4))) + rng.choice(["", ",", "."])


GENERATORS = {"email": _email, "phone": _phone, "number": _number, "id": _id, "url": _url,
              "handle": _handle, "words": _words}
# Masks that swap characters one for one, so the shape (and length) is kept.
SAME_LENGTH = {"words", "email", "phone"}


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_masked_text_never_contains_the_raw_value(kind):
    rng = random.Random(f"masking-{kind}")  # fixed seed: a failure is repeatable
    for _ in range(2000):
        value = GENERATORS[kind](rng)
        masked = mask(value, kind)
        if len(value) > 3:
            assert value not in masked, (value, masked)
        if kind in SAME_LENGTH:
            assert len(masked) == len(value), (value, masked)
        assert masked.count("*") > 0 or len(value) <= 3, (value, masked)


def test_the_part_of_a_name_after_its_first_letter_never_survives():
    # Each word longer than one letter loses everything after its first letter.
    rng = random.Random("names")
    for _ in range(2000):
        first, last = _word(rng, 2), _word(rng, 2)
        masked = mask(f"{first} {last}", "words")
        assert masked == f"{first[0]}{'*' * (len(first) - 1)} {last[0]}{'*' * (len(last) - 1)}"


# --- the gate: redact() on free text -------------------------------------------

from aiart_release import masking  # noqa: E402
from aiart_release.findings import Finding, Location, Severity, fingerprint  # noqa: E402
from aiart_release.masking import Gate, redact  # noqa: E402

REDACT_TABLE = [
    # e-mail addresses, also as a folder name and as a column name
    ("write to kofi.mensah@postbox-mail.org today", "write to k**********@p***********.org today"),
    ("data/raoul.dupont@studio.example/notes.txt", "data/r***********@s*****.example/notes.txt"),
    ("contact_hugo.lefebvre@atelier.example", "c********************@a******.example"),
    # phone numbers: international, North American, national with a trunk 0
    ("phone +1 415 555 0134.", "phone +* *** *** **34."),
    ("call (415) 555-0134", "call (***) ***-**34"),
    ("dial 1-800-555-0199 now", "dial *-***-***-**99 now"),
    ("020 7946 0958", "*** **** **58"),
    ("+33 6 12 34 56 78", "+** * ** ** ** 78"),
    ("call 415 555 0134 2 times", "call *** *** **34 2 times"),
    # national ids
    ("SSN 123-45-6789,", "SSN ***-**-****,"),
    ("NINO AB123456C", "NINO *********"),
    ("DNI 12345678Z", "DNI *********"),
    ("CF RSSMRA85T10A562S", "CF ****************"),
    # card numbers pass Luhn; the last four stay
    ("card 4111 1111 1111 1111", "card **** **** **** 1111"),
    ("card 4111-1111-1111-1111", "card ****-****-****-1111"),
    ("4111111111111111", "************1111"),
    # IBANs pass mod 97, even when an upper-case word follows
    ("IBAN DE89 3704 0044 0532 0130 00", "IBAN **** **** **** **** **30 00"),
    ("GB82WEST12345698765432 AND", "******************5432 AND"),
    # IP addresses
    ("from 192.168.1.23", "from ***.**8.1.23"),
    ("from 2001:db8::8a2e:370:7334", "from ****:***::****:***:7334"),
    # secrets: the kind prefix stays
    ("AKIAIOSFODNN7EXAMPLE", "AKIA****************"),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_" + "*" * 36),
    ("github_pat_11ABCDEFG0abcdefghijklmn_opqrstu", "github_pat_" + "*" * 24 + "_" + "*" * 7),
    ("HF_TOKEN=hf_Qx7vLm2Rt9Kp4Wz8Ny3Bc6Fd1Gh5Js0Ta", "HF_TOKEN=hf_" + "*" * 33),
    ("sk-proj-abc123def456ghi789jkl012", "sk-proj-" + "*" * 24),
    ("xoxb-1234567890-abcdefghij", "xoxb-**********-**********"),
    ("password=hunter2x", "password=********"),
    ('api_key: "s3cr3t value"', 'api_key: "****** value"'),
    ("https://user:pa55word@host.example/x", "https://user:********@****.*******/x"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEab\n-----END RSA PRIVATE KEY-----",
     "-----BEGIN RSA PRIVATE KEY-----\n******\n-----END RSA PRIVATE KEY-----"),
]


@pytest.mark.parametrize("text, expected", REDACT_TABLE, ids=[t for t, _ in REDACT_TABLE])
def test_redact_masks_each_kind_in_its_style(text, expected):
    assert redact(text) == expected


NOT_PERSONAL = [
    "CC-BY-4.0", "CC-BY-NC-SA-4.0", "Apache-2.0", "LicenseRef-FLUX-1-dev-Non-Commercial",
    "black-forest-labs/FLUX.1-dev", "stabilityai/stable-diffusion-xl-base-1.0",
    "v2.1.0", "transformers 4.36.2", "1.2.3.4", "127.0.0.1", "0.0.0.0", "105.48.0.0/12",
    "sha256:3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550",
    "data/images/cat.png", "data/images/ink-00.png", "images/IMG_20190512_143022.jpg",
    "icon@2x.png", "2024-01-15", "06.01.2010 029", "12:30:45", "1024 x 1024", "1700000000",
    "Line 18 adds a restriction", "rows 1, 2, 3", "+13 more", "P90D", "P5Y",
    "tokenizer: openai/clip-vit-large-patch14", "max_tokens=77", "token = tokens[i]",
    "secret: keep it out of the repo", "password: null", 'token: "${HF_TOKEN}"',
    "sk-learn", "@hookimpl", "@dataclass", "std::fs::File", "a::b",
    "ValueError", "UnicodeDecodeError", "UnknownKind at plugins.py:120", "LineTooLong",
    "Dataset", "Apache License 2.0", "Stable Diffusion XL", "Creative Commons Attribution",
    "Meta Llama 3 Community License", "Model Card", "Publishing & attribution",
    "The release holds others' work or data but documents no way to ask for removal",
    "code/vendor/colorutil/COPYING", "train_lora.py", "meta-llama/Llama-3-8B",
]


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_redact_leaves_code_licences_versions_hashes_and_paths_alone(text):
    from aiart_release.default_plugins.personal_data.maskers import name_spans, profile_spans

    gate = Gate([("personal-data", name_spans), ("personal-data", profile_spans)])
    assert gate.redact(text) == text


def test_redact_is_idempotent_on_what_it_masked():
    text = "kofi.mensah@postbox-mail.org, +1 415 555 0134, 123-45-6789, 4111 1111 1111 1111"
    once = redact(text)
    assert redact(once) == once


def test_a_finding_through_the_gate_keeps_its_fingerprint_and_drops_its_raw_value():
    raw = Finding(id="pii.email-address", severity=Severity.HIGH,
                  message="E-mail address in column `kofi.mensah@postbox-mail.org`",
                  location=Location(path="data/raoul.dupont@studio.example/a.csv",
                                    field="kofi.mensah@postbox-mail.org"),
                  evidence="k**********@p***********.org", matched="kofi.mensah@postbox-mail.org",
                  also=("x/kofi.mensah@postbox-mail.org.txt",),
                  remediation="Write to kofi.mensah@postbox-mail.org").with_defaults(
        check="pii", checkpoint=None, artifact="dataset")  # type: ignore[arg-type]
    shown = masking.redact_finding(raw)
    assert shown.fingerprint == raw.fingerprint == fingerprint(
        raw.id, "data/raoul.dupont@studio.example/a.csv", "kofi.mensah@postbox-mail.org")
    assert shown.matched is None and shown.shown_evidence(show_pii=True) == raw.evidence
    assert "kofi" not in repr(shown.to_dict(show_pii=True))
    assert "raoul" not in repr(shown.to_dict())


def test_a_masker_that_raises_exits_hangs_or_answers_garbage_fails_closed(monkeypatch):
    import sys
    import time

    def raises(text):
        raise RuntimeError(text)

    def garbage(text):
        return [(0, len(text) + 5, "words")]

    def exits(text):
        sys.exit(0)

    def hangs(text):
        time.sleep(60)

    monkeypatch.setattr(masking, "MASKER_SECONDS", 0.2)
    for bad in (raises, garbage, exits, hangs):
        gate = Gate([("bad", bad)])
        assert gate.redact("Ines Moreau said hi") == "I*** M***** s*** h*"
        assert gate.failures and gate.failures[0][0] == "bad"
        # The failure names the error's type, never the text it was given.
        assert "Ines" not in repr(gate.failures)


@pytest.mark.parametrize("text", [" 1" * 50_000, "4111 " * 20_000, "token=" * 20_000,
                                  "Maria " * 20_000, "a.a@" * 20_000, "1." * 50_000])
def test_a_long_hostile_text_does_not_hang_the_gate(text):
    # " 1" * 50000 took 187 s when the phone search looked at every prefix
    # of one unbounded run of digits; the patterns are linear now.
    import time

    from aiart_release.default_plugins.personal_data.maskers import name_spans

    started = time.perf_counter()
    Gate([("personal-data", name_spans)]).redact(text)
    assert time.perf_counter() - started < 10


def test_paths_and_fields_are_read_as_identifiers_and_prose_learns_from_them():
    from aiart_release.default_plugins.personal_data.maskers import name_spans

    gate = Gate([("personal-data", name_spans)])
    # In prose, two lower-case words are words ("the meta field", "priya sharma" too).
    assert gate.redact("column `priya sharma`, the meta field") == \
        "column `priya sharma`, the meta field"
    # In a path or a field name a space joins a name as "_" does...
    assert gate.redact_identifier("data/images/priya sharma.txt") == "data/images/p**** s*****.txt"
    assert gate.redact_identifier("mateo fernandez") == "m**** f********"
    # ...and prose that quotes them is masked from then on.
    assert gate.redact("column `priya sharma`, also in `mateo fernandez`; the meta field") == \
        "column `p**** s*****`, also in `m**** f********`; the meta field"
    assert gate.redact_identifier("data/images/cat and dog.png") == "data/images/cat and dog.png"


def test_the_core_and_the_plugins_maskers_mask_one_text_together():
    from aiart_release.default_plugins.personal_data.maskers import name_spans, profile_spans

    gate = Gate([("personal-data", name_spans), ("personal-data", profile_spans)])
    text = "Ines Moreau (ines@atelier.org, SSN 123-45-6789), artstation.com/inesmoreau"
    assert gate.redact(text) == ("I*** M***** (i***@a******.org, SSN ***-**-****), "
                                 "artstation.com/**********")
    assert gate.redact_identifier("contact_hugo.lefebvre@atelier.example") == \
        "c********************@a******.example"


def test_learning_names_stays_bounded_on_a_bundle_of_many_names():
    """A bundle of thousands of files named after different people: the
    learned-name pattern, rebuilt as it grows, is capped, so the gate never
    costs quadratic time (5,000 names, learned one by one, took 3.4 s)."""
    import random
    import string
    import time

    from aiart_release.masking import MAX_LEARNED_VALUES, Gate

    gate = Gate()
    rng = random.Random(1)
    names = [" ".join("".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(2))
             for _ in range(5_000)]
    started = time.perf_counter()
    for name in names:
        gate.learn_values([name])
        gate.redact(f"a message about {name}")
    assert time.perf_counter() - started < 20  # generous: quadratic before the cap
    assert len(gate._values) == MAX_LEARNED_VALUES
    assert names[0] not in gate.redact(f"see {names[0]}")
