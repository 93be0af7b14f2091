"""The secrets check (plugins/secrets): tokens and keys in code, notebooks,
configuration and cards are critical, and their values appear in no output
and no cache; placeholders are not critical; bad input is a finding and the
scan goes on."""

from __future__ import annotations

import json
import time
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from conftest import make_bundle

from aiart_release.bundle import BundleFile
from aiart_release.checks import FileContext
from aiart_release.masking import Gate

# Values shaped like live credentials, made up for these tests.
HF_TOKEN = "hf_Zq8KxPbLm2VnRt5YwJcDgHs9FeUaXoQiTk"  # pragma: allowlist secret
HF_TOKEN_2 = "hf_Pq7LmNb3VcXz9KjHgFdSa2QwErTyUiOpAs"  # pragma: allowlist secret
GITHUB_TOKEN = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # pragma: allowlist secret
GITHUB_TOKEN_2 = "ghp_Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"  # pragma: allowlist secret
AWS_KEY = "AKIAZ3MHQ6QY2XK7WJ4N"  # pragma: allowlist secret
AZURE_KEY = ("Xk9PqL2mN8vB4cZ7wR1tY6uI3oA5sD0fG2hJ8kL4zX7cV1bN9mQ3wE6rT5yU2iO8pA4sD6fG1hJ3kL"
             "9zX2cV5bN==")  # pragma: allowlist secret
PRIVATE_KEY_BODY = ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKBwj6f8Kx2q3"
                    "Lm9PzR4sT7uV1wX3yZ5aB")  # pragma: allowlist secret
SECRETS = (HF_TOKEN, HF_TOKEN_2, GITHUB_TOKEN, AWS_KEY, AZURE_KEY[:40], PRIVATE_KEY_BODY[:40])

TRAIN_SCRIPT = f'''import os
from huggingface_hub import login

HF_TOKEN = "{HF_TOKEN}"
login(token=HF_TOKEN)
'''


def notebook(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def with_secrets_plugin():
    """The plugin is built in: registered by its entry point, as users get it."""
    assert any(ep.name == "secrets" for ep in entry_points(group="aiart_release"))


def secret_findings(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["id"].startswith("secret.")]


def scan(tmp_path: Path, name: str, content: str | bytes, *, context: str | None = None,
         kind: str = "code"):
    """The check itself on one file (no pipeline): its findings, raw."""
    from plugins.secrets.check import SecretsCheck

    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    file = BundleFile(path=name, abspath=path, size=path.stat().st_size, kind=kind,
                      artifact="code", context=context)
    return list(SecretsCheck().scan_file(file, FileContext()))


# --- through the tool: critical, and masked everywhere -----------------------

def test_a_training_script_with_a_token_is_critical_and_the_token_is_shown_nowhere(
        tmp_path, cli, monkeypatch, with_secrets_plugin):
    cache = tmp_path / "cache"
    monkeypatch.setenv("AIART_RELEASE_CACHE_DIR", str(cache))
    bundle = make_bundle(tmp_path / "b", {
        "README.md": "# A LoRA\n\nTrained with train.py.\n",
        "src/train.py": TRAIN_SCRIPT,
        ".env": f"HF_TOKEN={HF_TOKEN_2}\nAWS_ACCESS_KEY_ID={AWS_KEY}\n",
    })
    as_json = cli("assess", bundle, "--format", "json")
    as_text = cli("assess", bundle)  # the second run reads the cache
    report = as_json.json()
    found = {(f["id"], f["location"]["path"]): f for f in secret_findings(report)}
    script = found[("secret.huggingface-token", "src/train.py")]
    assert script["severity"] == "critical"
    assert script["context"] == "string-literal"
    assert script["artifact"] == "code"
    assert script["location"]["line"] == 4
    assert script["evidence"].startswith("hf_") and set(script["evidence"][3:]) == {"*"}
    assert found[("secret.huggingface-token", ".env")]["context"] == "config"
    assert found[("secret.cloud-key", ".env")]["severity"] == "critical"
    assert "secret.huggingface-token" in as_text.out
    cached = "".join(p.read_text(errors="replace") for p in cache.rglob("*") if p.is_file())
    assert cached, "the run cached nothing: the cache was not exercised"
    for shown in (as_json.out, as_json.err, as_text.out, as_text.err, cached):
        for secret in (HF_TOKEN, HF_TOKEN_2, AWS_KEY):
            assert secret not in shown
            assert secret[3:20] not in shown  # not even a piece of it


def test_notebook_cells_and_outputs_are_read_and_placeholders_in_markdown_are_not(
        tmp_path, cli, with_secrets_plugin):
    bundle = make_bundle(tmp_path / "b", {
        "notebooks/train.ipynb": notebook([
            {"cell_type": "code", "source": ["from huggingface_hub import login\n",
                                             f"login(token='{HF_TOKEN}')\n"],
             "outputs": [{"output_type": "stream", "name": "stdout",
                          "text": [f"using {GITHUB_TOKEN}\n"]}]},
            {"cell_type": "markdown",
             "source": ["Set `HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` first"]},
        ]),
    })
    result = cli("assess", bundle, "--format", "json")
    found = {(f["id"], f["location"].get("field")): f for f in secret_findings(result.json())}
    assert set(found) == {("secret.huggingface-token", "cell 1 code"),
                          ("secret.api-key", "cell 1 output")}
    assert all(f["severity"] == "critical" for f in found.values())
    assert HF_TOKEN not in result.out and GITHUB_TOKEN not in result.out


# --- the check on its own ----------------------------------------------------

@pytest.mark.parametrize("line", [
    'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',          # AWS's documented example
    'token = "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',      # a placeholder
    'HF_TOKEN = "hf_your_token_here_abcdefghijklmnopqrs"',
    'password = "guest"',                                   # a word, not a password
    'password = None',
    'api_key = os.environ["OPENAI_API_KEY"]',
    'token = "${HF_TOKEN}"',
    f'token = "{HF_TOKEN}"  # pragma: allowlist secret',
])
def test_examples_and_placeholders_are_not_reported(tmp_path, line):
    assert scan(tmp_path, "train.py", line + "\n") == []


def test_a_key_in_test_data_is_medium_not_critical(tmp_path):
    found = scan(tmp_path, "tests/test_upload.py", f'KEY = "{AWS_KEY}"\n', context="fixture")
    assert [(f.id, f.severity.value, f.context) for f in found] == [
        ("secret.cloud-key", "medium", "fixture")]


def test_an_apps_client_secret_in_its_code_is_medium_and_the_same_in_a_config_critical(
        tmp_path):
    # An installed app ships its OAuth client credentials on purpose (public
    # clients, RFC 8252): in its code it is something to check, not a leak
    # to close the release for. In a .env file it is the author's own key.
    value = _random("abcdefghijklmnopqrstuvwxyz0123456789", 32, seed=7)
    in_code = scan(tmp_path, "app/extractor.py", f'CLIENT_SECRET = "{value}"\n')
    assert [(f.id, f.severity.value, f.context) for f in in_code] == [
        ("secret.api-key", "medium", "string-literal")]
    assert "client credential" in in_code[0].message
    # In a notebook cell the same line is someone's own key: critical.
    cell = notebook([{"cell_type": "code", "source": [f'CLIENT_SECRET = "{value}"\n'],
                      "outputs": []}])
    in_notebook = scan(tmp_path, "train.ipynb", cell)
    assert [(f.id, f.severity.value) for f in in_notebook] == [("secret.api-key", "critical")]
    assert "RFC 8252" in in_code[0].remediation
    in_env = scan(tmp_path, "config.yaml", f"client_secret: {value}\n", kind="config")
    assert [(f.id, f.severity.value) for f in in_env] == [("secret.api-key", "critical")]
    # A token with a person's format stays critical in code.
    token = scan(tmp_path, "app/upload.py", f'HF_TOKEN = "{HF_TOKEN}"\n')
    assert [(f.id, f.severity.value) for f in token] == [("secret.huggingface-token", "critical")]


def test_each_kind_of_secret_has_its_id_and_the_whole_value_identifies_it(tmp_path):
    found = scan(tmp_path, "deploy.py", "\n".join([
        f'a = "{GITHUB_TOKEN}"',
        f'b = "{GITHUB_TOKEN_2}"',
        f'conn = "DefaultEndpointsProtocol=https;AccountName=art;AccountKey={AZURE_KEY}"',
        "KEY = '''-----BEGIN RSA PRIVATE KEY-----",
        PRIVATE_KEY_BODY,
        "-----END RSA PRIVATE KEY-----'''",
        'db_password = "Tr0ub4dor3xyz"',
    ]) + "\n")
    by_line = {f.location.line: f for f in found}
    assert {line: f.id for line, f in by_line.items()} == {
        1: "secret.api-key", 2: "secret.api-key", 3: "secret.cloud-key",
        4: "secret.private-key", 7: "secret.password"}
    # Two GitHub tokens are two secrets (detect-secrets 1.5 alone gives "ghp" for both).
    assert by_line[1].matched == GITHUB_TOKEN and by_line[2].matched == GITHUB_TOKEN_2
    assert by_line[4].matched == PRIVATE_KEY_BODY
    assert by_line[3].evidence.startswith("AccountKey=*")
    assert by_line[4].evidence == "-----BEGIN RSA PRIVATE KEY-----"
    for f in found:
        assert f.evidence and not any(s in f.evidence for s in SECRETS)


def test_a_google_service_account_file_is_a_cloud_key(tmp_path):
    key = f"-----BEGIN PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n-----END PRIVATE KEY-----\n"
    found = scan(tmp_path, "sa.json", json.dumps({"type": "service_account",
                                                 "private_key": key}, indent=1), kind="config")
    assert [(f.id, f.context, f.matched) for f in found] == [
        ("secret.cloud-key", "config", PRIVATE_KEY_BODY)]
    assert "service-account" in found[0].message


def test_the_same_token_twice_in_a_file_is_one_finding_with_both_lines(tmp_path):
    found = scan(tmp_path, "a.py", f'x = "{HF_TOKEN}"\n\ny = "{HF_TOKEN}"\n')
    assert len(found) == 1 and found[0].location.lines == (1, 3)


def test_a_token_in_a_comment_and_in_a_card(tmp_path):
    assert scan(tmp_path, "a.py", f"# token: {HF_TOKEN}\n")[0].context == "code-comment"
    card = scan(tmp_path, "README.md", f"Use `{HF_TOKEN}` to download.\n", kind="model-card")
    assert [(f.id, f.context, f.severity.value) for f in card] == [
        ("secret.huggingface-token", "prose", "critical")]


# --- bad input -----------------------------------------------------------------

@pytest.mark.parametrize("content, expected", [
    (b'{"cells": [', "bundle.unreadable"),                      # truncated JSON
    (b'{"nbformat": 4}', "bundle.unreadable"),                  # no cells
    (b"\xff\xfe\x00\x00" + b"[" * 10, "bundle.unreadable"),    # not text
    (b"[" * 50_000 + b"]" * 50_000, "bundle.too-complex"),     # nested past the limit
])
def test_a_bad_notebook_is_a_finding_not_a_crash(tmp_path, content, expected):
    found = scan(tmp_path, "nb.ipynb", content)
    assert [f.id for f in found] == [expected]


def test_a_bad_file_does_not_stop_the_scan(tmp_path, cli, with_secrets_plugin):
    bundle = make_bundle(tmp_path / "b", {
        "a_broken.ipynb": '{"cells": [',
        "b_train.py": TRAIN_SCRIPT,
        "c_latin1.py": "# caf\xe9\n".encode("latin-1") + f'T = "{HF_TOKEN_2}"\n'.encode(),
    })
    report = cli("assess", bundle, "--format", "json").json()
    ids = {(f["id"], f["location"]["path"]) for f in report["findings"]
           if f["check"] == "secrets"}
    assert ("bundle.unreadable", "a_broken.ipynb") in ids
    assert ("bundle.unreadable", "c_latin1.py") in ids
    assert ("secret.huggingface-token", "b_train.py") in ids


def test_a_one_line_file_of_a_million_word_characters_does_not_hang(tmp_path):
    # detect-secrets' keyword patterns begin with \w*: quadratic on one long word.
    started = time.monotonic()
    found = scan(tmp_path, "min.js", "password" + "a" * 1_000_000 + "\n")
    assert time.monotonic() - started < 10
    assert found == []


# --- the masking gate knows detect-secrets' shapes too ----------------------------

def test_the_masker_hides_secrets_the_core_does_not_know(tmp_path):
    from plugins.secrets.maskers import secret_spans

    webhook = "https://hooks.slack.com/services/T0A1B2C3D/B4E5F6G7H/abcdefGHIJKL0123456789mn"
    text = f"AccountKey={AZURE_KEY} and {webhook} and {GITHUB_TOKEN}"
    masked = Gate([("secrets", secret_spans)]).redact(text)
    assert AZURE_KEY[:20] not in masked and "abcdefGHIJKL0123456789mn" not in masked
    assert GITHUB_TOKEN not in masked
    assert masked.startswith("AccountKey=")  # the name stays, the value goes
    assert Gate([("secrets", secret_spans)]).redact("nothing to see here") == "nothing to see here"


# --- every enabled detector finds its own kind, through the line prefilter --------

def _random(alphabet: str, length: int, seed: int) -> str:
    import random

    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


def _jwt() -> str:
    import base64

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': '4815162342'})}." + _random(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", 43, 9)


ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
LOWER_HEX = "0123456789abcdef"
LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
SAMPLES = {
    "HuggingFaceTokenDetector": f'T = "hf_{_random(ALNUM, 34, 1)}"',
    "AWSKeyDetector": 'id = "AKIA' + _random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 2) + '"',
    "AzureStorageKeyDetector": f"c = 'AccountKey={_random(ALNUM + '+/', 86, 3)}=='",
    "GoogleApiKeyDetector": f'k = "AIza{_random(ALNUM + "_-", 35, 4)}"',
    "IbmCloudIamDetector": f'ibm_cloud_iam_key = "{_random(ALNUM + "_-", 44, 5)}"',
    "IbmCosHmacDetector": f'cos_hmac_secret_access_key = "{_random(LOWER_HEX, 48, 6)}"',
    "SoftlayerDetector": f'softlayer_api_key = "{_random(LOWER_ALNUM, 64, 7)}"',
    "CloudantDetector": f'cloudant_password = "{_random(LOWER_HEX, 64, 8)}"',
    "PrivateKeyDetector": "-----BEGIN OPENSSH PRIVATE KEY-----",
    "OpenAIDetector": f'k = "sk-{_random(ALNUM, 20, 10)}T3BlbkFJ{_random(ALNUM, 20, 11)}"',
    "AnthropicKeyDetector": f'k = "sk-ant-api03-{_random(ALNUM + "_-", 95, 12)}"',
    "GitHubTokenDetector": f'g = "ghp_{_random(ALNUM, 36, 13)}"',
    "GitLabTokenDetector": f'g = "glpat-{_random(ALNUM, 20, 14)}"',
    "SlackDetector": f's = "xoxb-4815162342-{_random(LOWER_ALNUM, 24, 15)}"',
    "StripeDetector": f's = "sk_live_{_random(ALNUM, 24, 16)}"',
    "SendGridDetector": f's = "SG.{_random(ALNUM, 22, 17)}.{_random(ALNUM, 43, 18)}"',
    "TwilioKeyDetector": f't = "SK{_random(LOWER_ALNUM, 32, 19)}"',
    "MailchimpDetector": f'm = "{_random(LOWER_ALNUM, 32, 20)}-us12"',
    "NpmDetector": f"//registry.npmjs.org/:_authToken=npm_{_random(ALNUM, 36, 21)}",
    "PypiTokenDetector": f'p = "pypi-AgEIcHlwaS5vcmc{_random(ALNUM, 72, 22)}"',
    "DiscordBotTokenDetector": (f'd = "M{_random(ALNUM, 23, 23)}.{_random(ALNUM, 6, 24)}.'
                                f'{_random(ALNUM, 27, 25)}"'),
    "TelegramBotTokenDetector": f't = "4815162342:{_random(ALNUM, 35, 26)}"',
    "SquareOAuthDetector": f's = "sq0csp-{_random(ALNUM, 43, 27)}"',
    "ArtifactoryDetector": f'a = "AKC{_random(ALNUM, 20, 28)}"',
    "JwtTokenDetector": f't = "{_jwt()}"',
    "BasicAuthDetector": f'u = "https://admin:{_random(ALNUM, 16, 29)}@example.org/x"',
    "KeywordDetector": f'db_password = "{_random(ALNUM, 16, 30)}"',
}


@pytest.mark.parametrize("plugin", sorted(SAMPLES))
def test_each_enabled_detector_finds_its_kind_of_secret(plugin):
    from plugins.secrets.detectors import ENABLED, detectors

    found = detectors()
    line = SAMPLES[plugin]
    assert found.prefilter.may_match(line), "the prefilter lets the line through"
    hits = [hit for _, hit in found.scan("settings.py", [line])]
    assert ENABLED[plugin] in [(h.finding_id, h.label) for h in hits]


def test_every_enabled_detector_has_a_sample():
    from plugins.secrets.detectors import ENABLED

    assert set(SAMPLES) == set(ENABLED)


@pytest.mark.parametrize("pattern, words", [
    (r"gh[po]_[A-Za-z0-9]{36}", {"ghp_", "gho_"}),
    (r"(?:key|pwd|token)\s*=\s*\w+", {"key", "pwd", "token"}),
    (r"(?:ibm|)_?(?:key|pass)", {"key", "pass"}),     # an empty alternative requires nothing
    (r"AKIA[0-9A-Z]{16}", {"AKIA"}),
    (r"[MNO][a-z]{23}\.[a-z]{6}", None),              # no word of two characters
    (r"(?:ab)?cd?e", None),                           # optional parts require nothing
])
def test_the_prefilter_reads_the_words_a_pattern_requires(pattern, words):
    import re

    from plugins.secrets.prefilter import required_words

    found = required_words(re.compile(pattern))
    assert (set(found) if found else None) == words


@pytest.mark.parametrize("damage", [
    b"",                                      # empty
    b"not json",                              # not JSON
    b'["pattern 0 ghp_"]',                    # cut short: no end row
    b'["word gh", "end 1"]',                  # whole, but no pattern at all
    b'["pattern 0 (unclosed", "end 1"]',      # a pattern that does not compile
])
def test_a_damaged_masker_table_is_built_again_never_trusted(tmp_path, damage):
    """The masker's patterns kept beside the cache are state left by an
    earlier run: a file that is not a whole table is rebuilt from
    detect-secrets, and the secret is still masked."""
    import plugins.secrets.maskers as maskers
    from aiart_release.cache import allow_derived

    allow_derived(tmp_path)
    try:
        maskers._table.cache_clear()
        maskers._compiled.cache_clear()
        Gate([("secrets", maskers.secret_spans)]).redact("warm")  # writes the table
        (table,) = (tmp_path / "derived").glob("secrets-masker-*.txt")
        table.write_bytes(damage)
        maskers._table.cache_clear()
        maskers._compiled.cache_clear()
        masked = Gate([("secrets", maskers.secret_spans)]).redact(f"AccountKey={AZURE_KEY}")
        assert AZURE_KEY[:20] not in masked and masked.startswith("AccountKey=")
    finally:
        allow_derived(None)
        maskers._table.cache_clear()
        maskers._compiled.cache_clear()


def test_the_stored_line_prefilter_is_the_detectors_own(tmp_path):
    """The secrets check passes over a file whose lines all fail this
    prefilter; kept beside the cache, it must be exactly the one the
    detectors apply to each line, or a secret could be skipped."""
    from aiart_release.cache import allow_derived
    from aiart_release.default_plugins.secrets import maskers
    from aiart_release.default_plugins.secrets.detectors import detectors

    allow_derived(tmp_path)
    try:
        maskers.line_prefilter.cache_clear()
        stored = maskers.line_prefilter()  # built and written
        maskers.line_prefilter.cache_clear()
        assert maskers.line_prefilter() == stored == detectors().prefilter  # read back
        assert list((tmp_path / "derived").glob("secrets-lines-*.txt"))
    finally:
        allow_derived(None)
        maskers.line_prefilter.cache_clear()


def test_a_file_without_a_candidate_line_gets_no_finding_and_one_with_a_token_does(tmp_path):
    assert scan(tmp_path, "train.py", "steps = 10\nprint('a lighthouse on a cliff')\n") == []
    [found] = scan(tmp_path, "upload.py", f"token = '{HF_TOKEN}'\n")
    assert found.id == "secret.huggingface-token"
