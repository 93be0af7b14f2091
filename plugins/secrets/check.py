"""The secrets check: access tokens, cloud keys, API keys, private keys and
passwords in code, notebooks, configuration, ``.env`` files and cards.

Each file is read once, within the reader limits of the core (text up to
``ctx.max_read_bytes``; a notebook as JSON within ``DATA_LIMITS``), and its
lines go through detect-secrets' plugins and filters (``detectors.py``).
What is found is reported without its value: the raw secret is the
finding's ``matched`` (hashed into the fingerprint, dropped by the masking
gate before any report or the cache), and the evidence keeps only the
token's kind prefix (``hf_*****…``).

How much a secret weighs depends on where it is:

- a value written for people to replace (``AKIAIOSFODNN7EXAMPLE``,
  ``hf_xxxx…``, ``your_token_here``) is no secret and is not reported;
- a secret-shaped value in test data (``tests/``, ``fixtures/``) is medium:
  test keys are often fake, but a reviewer should make sure;
- anywhere else, critical.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING

from aiart_release.checks import Check, FileContext
from aiart_release.findings import CHECKPOINT_OF_ARTIFACT, Checkpoint, Finding, Location, Severity
from aiart_release.masking import mask
from aiart_release.readers.jsonfile import load_json
from aiart_release.readers.limits import DATA_LIMITS, LimitExceeded
from aiart_release.readers.text import TextUnreadable, read_text, unreadable_finding
from aiart_release.records import dataclass

from .detectors import (
    API_KEY,
    CLOUD_KEY,
    ENABLED,
    PASSWORD,
    PRIVATE_KEY,
    Hit,
    detectors,
    is_placeholder,
    name_length,
)
from .maskers import line_prefilter

if TYPE_CHECKING:
    from aiart_release.bundle import BundleFile

CHECK_ID = "secrets"
FINDINGS = {
    "secret.huggingface-token": "A Hugging Face access token (hf_…), which acts as its owner on "
                                "the Hub: it can publish, delete or read gated models",
    "secret.cloud-key": "A cloud credential: an AWS access key, a Google Cloud API key or "
                        "service-account key, an Azure storage key, IBM, SoftLayer or Cloudant "
                        "credentials",
    "secret.api-key": "An API key or token of a service (OpenAI, Anthropic, GitHub, GitLab, "
                      "Slack, Stripe, SendGrid, Twilio, npm, PyPI, Discord, Telegram…), a "
                      "signed JSON Web Token, or a random-looking value assigned to a name like "
                      "api_key, token or client_secret",
    "secret.private-key": "A private key (SSH, PEM, PGP, PuTTY)",
    "secret.password": "A password assigned in code or configuration (password = …), or in a "
                       "URL (https://user:password@host)",
    "bundle.unreadable": "A code, text or configuration file that could not be read as text",
    "bundle.too-complex": "A notebook past the reader's limits (size, nesting)",
}

REMEDIATION = ("Revoke and rotate the credential now (it is compromised once published, and "
               "stays in git history), then remove it from the file and load it from the "
               "environment or a secrets manager")
APP_CREDENTIAL_REMEDIATION = (
    "Find out whose key it is. An installed app's OAuth client or API key is public by design "
    "(RFC 8252 §8.5): restrict it at the provider (referrer, scopes, quotas) and say so in a "
    "comment or the baseline. A server's or a person's key must be revoked, rotated and loaded "
    "from the environment")
# Labels of the credentials an application ships in its own code on purpose
# (a client secret, a Google browser key): in code they are most often
# public client credentials, not a leak. Measured on gallery-dl: ten such
# keys, every one an app's, none a person's.
_APP_CREDENTIALS = frozenset({"API key or client secret", "Google Cloud API key"})
_IN_CODE = frozenset({"code", "string-literal", "code-comment"})
FIXTURE_REMEDIATION = ("Make sure this test value is not a live credential; replace it with an "
                       "obvious placeholder (or mark the line `# pragma: allowlist secret`)")

_KINDS = frozenset({"code", "text", "config", "model-card", "dataset-card", "manifest"})
_PROSE_KINDS = frozenset({"text", "model-card", "dataset-card"})
# Lines of a private key block looked at to find its END line.
MAX_KEY_LINES = 100
# Where a keyword's value must look random to be a password, not a word
# (measured on real repositories: "guest", "bar", "sample_pwd", null).
MIN_PASSWORD_CHARS = 8


@cache
def _comment_start() -> re.Pattern[str]:
    return re.compile(r"^\s*(?:#|//|--|/?\*|;|%|rem\s)", re.IGNORECASE)


@cache
def _password_name() -> re.Pattern[str]:
    return re.compile(r"(?i)pass|pwd|contrase")


@cache
def _service_account() -> re.Pattern[str]:
    return re.compile(r'"type"\s*:\s*"service_account"')


@cache
def _key_block() -> re.Pattern[str]:
    return re.compile(r"-----BEGIN[ A-Z0-9]{0,40}-----(.*?)-----END[ A-Z0-9]{0,40}-----",
                      re.DOTALL)


@dataclass(frozen=True)
class Place:
    """Where a run of lines comes from: a file, or one cell of a notebook."""

    lines: list[str]
    context: str           # the context of the file as a whole (or the cell)
    field: str | None = None  # "cell 3 code" in a notebook
    first_line: int | None = 1  # the file line of lines[0]; None inside a notebook cell


class SecretsCheck(Check):
    """Secrets in code, notebooks, configuration, .env files and cards.

    Risk: a Hugging Face token or cloud key published with a release acts
    as its owner for anyone who reads it, and stays in git history.
    Example: ``HF_TOKEN = "hf_…"`` at the top of train.py.
    """

    id = CHECK_ID
    checkpoint = Checkpoint.MODEL_CODE
    description = "Access tokens, cloud and API keys, private keys and passwords (detect-secrets)"
    kinds = _KINDS
    version = "2"  # 2: an app's credential in its code is medium
    findings = FINDINGS

    def scan_file(self, file: BundleFile, ctx: FileContext) -> Iterable[Finding]:
        try:
            places = list(_places(file, ctx.max_read_bytes))
        except (TextUnreadable, LimitExceeded, ValueError) as exc:
            if detectors().skips_file(str(file.abspath)):
                return []
            return [unreadable_finding(file.path, file.artifact, exc, CHECK_ID)]
        # A file none of whose lines any plugin could match (most captions
        # and notes) has no secret to find: detect-secrets (a tenth of a
        # second to import, with requests) is not loaded for it.
        prefilter = line_prefilter()
        if not any(prefilter.may_match(line) for place in places for line in place.lines):
            return []
        found = detectors()
        if found.skips_file(str(file.abspath)):
            return []
        hits: dict[tuple[str, str], _Group] = {}
        for place in places:
            for index, hit in found.scan(file.path, place.lines):
                matched = _matched(hit, place.lines, index)
                if not _reportable(hit, matched):
                    continue
                hit = _named(hit, place.lines, index)
                key = (hit.finding_id, matched)
                group = hits.setdefault(key, _Group(hit, matched, place,
                                                    _context(file, place, hit, index)))
                if place.first_line is not None:
                    group.lines.append(place.first_line + index)
        return [_finding(file, group) for group in hits.values()]


@dataclass
class _Group:
    """Every place one secret value appears in one file."""

    hit: Hit
    matched: str
    place: Place
    context: str
    lines: list[int] = None  # type: ignore[assignment]

    def __post_init__(self):
        self.lines = []


def _places(file: BundleFile, max_bytes: int) -> Iterator[Place]:
    """The text of a file as runs of lines: the file's lines, or for a
    notebook the source of each cell and the text each code cell printed.
    Raises TextUnreadable, LimitExceeded or ValueError (not a notebook)."""
    context = _file_context(file)
    if file.suffix == ".ipynb":
        yield from _notebook_places(file, max_bytes, context)
        return
    text, _truncated = read_text(file.abspath, max_bytes)  # what was read is scanned
    yield Place(text.splitlines(), context)


def _notebook_places(file: BundleFile, max_bytes: int, context: str) -> Iterator[Place]:
    """A Jupyter notebook read as JSON (never run): within the limits of
    JSON read whole (DATA_LIMITS: size, depth, values checked before it is
    parsed)."""
    limit = min(max_bytes, DATA_LIMITS.max_bytes)
    text, truncated = read_text(file.abspath, limit)
    if truncated:
        raise LimitExceeded("max_bytes", limit)
    notebook = load_json(text, DATA_LIMITS)
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a Jupyter notebook: no list of cells")
    fixture = context == "fixture"
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type") if cell.get("cell_type") in ("code", "markdown") else "raw"
        cell_context = "fixture" if fixture else ("code" if kind == "code" else "prose")
        yield Place(_joined(cell.get("source")).splitlines(), cell_context,
                    f"cell {number} {kind}", None)
        for output in cell.get("outputs") or [] if kind == "code" else []:
            if isinstance(output, dict):
                printed = _joined(output.get("text")) or _joined(
                    (output.get("data") or {}).get("text/plain")
                    if isinstance(output.get("data"), dict) else None)
                if printed:
                    # What the code printed: a token echoed by a login cell.
                    yield Place(printed.splitlines(), "fixture" if fixture else "string-literal",
                                f"cell {number} output", None)


def _joined(value: object) -> str:
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _file_context(file: BundleFile) -> str:
    if file.context == "fixture":
        return "fixture"
    if file.kind in ("config", "manifest") or file.name.startswith(".env"):
        return "config"
    if file.kind in _PROSE_KINDS:
        return "prose"
    return "code"


def _context(file: BundleFile, place: Place, hit: Hit, index: int) -> str:
    """Where in the file the secret is: a comment, a string literal or the
    code itself, for code; the file's (or cell's) context otherwise."""
    if place.context != "code":
        return place.context
    line = place.lines[index]
    if _comment_start().match(line):
        return "code-comment"
    at = line.find(hit.value)
    before = line[:at] if at >= 0 else line
    if "#" in before and file.suffix in (".py", ".ipynb", ".sh", ".r", ".rb", ".pl", ""):
        return "code-comment"
    if before.count('"') % 2 or before.count("'") % 2:
        return "string-literal"
    return "code"


def _matched(hit: Hit, lines: list[str], index: int) -> str:
    """The value that identifies this secret: the token itself, or for a
    private key its body (every key in a file has the same BEGIN line)."""
    if hit.finding_id != PRIVATE_KEY:
        return hit.value
    block = "\n".join(lines[index:index + MAX_KEY_LINES]).replace("\\n", "\n")
    body = _key_block().search(block)
    # The key's characters only: the same key is the same secret however its
    # lines were wrapped or escaped.
    value = "".join(body.group(1).replace("\\", " ").split()) if body else ""
    return value or lines[index].strip()


def _reportable(hit: Hit, matched: str) -> bool:
    """Whether the value is a secret, not an example for people. A keyword's
    value (``password = …``) must look like a password: long enough, with
    letters and digits; ``"guest"``, ``null`` and ``"sample_pwd"`` are not."""
    if is_placeholder(hit.value):
        return False
    if hit.finding_id == PRIVATE_KEY:
        return len(matched) >= 64 and not is_placeholder(matched)  # "-----BEGIN … KEY-----\n..."
    if hit.finding_id == PASSWORD:
        value = hit.value
        return (len(value) >= MIN_PASSWORD_CHARS and any(c.isdigit() for c in value)
                and any(c.isalpha() for c in value))
    return True


def _named(hit: Hit, lines: list[str], index: int) -> Hit:
    """A private key in a Google Cloud service-account file is a cloud key;
    a value assigned to a name that says key, token or secret (``API_KEY =``,
    ``"client-secret":``), not password, is an API key."""
    if hit.finding_id == PRIVATE_KEY and any(_service_account().search(line) for line in lines):
        return Hit(CLOUD_KEY, "Google Cloud service-account key", hit.value)
    if hit.label == ENABLED["KeywordDetector"][1]:
        line = lines[index]
        name = line[:max(line.find(hit.value), 0)]
        if not _password_name().search(name):
            return Hit(API_KEY, "API key or client secret", hit.value)
        return Hit(PASSWORD, "password", hit.value)
    return hit


_WHERE = {
    "code": "in code",
    "code-comment": "in a code comment",
    "string-literal": "in a string literal",
    "config": "in a configuration file",
    "prose": "in documentation",
    "fixture": "in test data",
}


def _finding(file: BundleFile, group: _Group) -> Finding:
    hit, place, context = group.hit, group.place, group.context
    fixture = context == "fixture"
    lines = sorted(set(group.lines))
    where = _WHERE.get(context, "")
    if place.field:
        where = f"{where} ({place.field})" if where else f"in {place.field}"
    message = f"{hit.label[0].upper()}{hit.label[1:]} {where}"
    # Found by its name, or a Google key, in the code of an app: an app's own
    # credential, to check, not a person's token. A .env file, a notebook or
    # a card holds the author's own keys, and a token with a known format
    # (hf_, ghp_, sk-, AKIA...) is a person's or an account's.
    # Notebooks are where people paste their own keys (a Colab cell with
    # WANDB_API_KEY = "..."): never an app's credential there.
    app_credential = (hit.label in _APP_CREDENTIALS and context in _IN_CODE
                      and file.suffix != ".ipynb")
    if fixture:
        message += ": check that it is not a live credential"
    elif app_credential:
        message += (": an app's own client credential is public by design for an installed "
                    "app, a person's key (W&B, a cloud account) is a leak; check whose it is")
    return Finding(
        id=hit.finding_id,
        severity=Severity.MEDIUM if fixture or app_credential else Severity.CRITICAL,
        message=message,
        location=Location(path=file.path, field=place.field,
                          line=lines[0] if lines else None,
                          lines=tuple(lines) if len(lines) > 1 else None),
        remediation=(FIXTURE_REMEDIATION if fixture
                     else APP_CREDENTIAL_REMEDIATION if app_credential else REMEDIATION),
        confidence=0.9 if hit.finding_id == PASSWORD else 0.95,
        evidence=_evidence(hit, group.matched),
        checkpoint=CHECKPOINT_OF_ARTIFACT.get(file.artifact),
        context=context,
        matched=group.matched,
        references=("https://huggingface.co/docs/hub/security-tokens",)
        if hit.finding_id == "secret.huggingface-token" else (),
    )


def _evidence(hit: Hit, matched: str) -> str:
    """The secret's shape: its kind prefix and stars; a private key by its
    BEGIN line only."""
    if hit.value.startswith(("BEGIN ", "PuTTY")):  # a private key: its header is no secret
        return f"-----{hit.value}-----" if hit.value.startswith("BEGIN ") else hit.value
    keep = name_length(hit.value)  # "AccountKey=…": the name stays
    shown = hit.value[:keep] + mask(hit.value[keep:], "secret")
    return shown if len(shown) <= 48 else shown[:47] + "…"


__all__ = ["ENABLED", "FINDINGS", "SecretsCheck"]
