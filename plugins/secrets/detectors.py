"""Which secrets are looked for, with detect-secrets' own plugins and filters.

detect-secrets is used as a library, one line at a time, on text this
plugin has already read within its limits (its own ``scan_file`` opens a
file and reads it whole, and parses YAML with no alias limit). Its plugins
find the secrets; its filters (``# pragma: allowlist secret``, templated
values such as ``${TOKEN}``, sequential strings, UUIDs, ids, indirect
references, lock files) drop what is no secret. What it lacks, this module
adds as detect-secrets plugins of the same shape: Hugging Face tokens,
Google API keys and Anthropic keys. Only the lines that hold a word some
plugin's matches must contain reach the plugins (``prefilter.py``).

Which detect-secrets plugins are enabled was decided by measurement on 13
public repositories of AI-art code and data (docs/benchmarks.md, the secrets
section): the two high-entropy string plugins gave 618 findings on those
repositories, none a secret a reviewer would act on (hashes of files, test
vectors, base64 images), so they are off; ``IPPublicDetector`` finds
addresses, which are personal data (``pii.*``), not secrets.

Nothing here imports detect-secrets at module level: it imports ``requests``
and takes a tenth of a second, and ``aiart-release --help`` loads every
plugin. :func:`detectors` builds everything on first use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import cache, lru_cache

from aiart_release.records import dataclass

from .prefilter import Prefilter, build

# Finding ids, by what kind of secret it is.
HF_TOKEN = "secret.huggingface-token"
CLOUD_KEY = "secret.cloud-key"
API_KEY = "secret.api-key"
PRIVATE_KEY = "secret.private-key"
PASSWORD = "secret.password"

# detect-secrets plugin class name -> (finding id, what a person calls it).
ENABLED: dict[str, tuple[str, str]] = {
    "HuggingFaceTokenDetector": (HF_TOKEN, "Hugging Face access token"),
    "AWSKeyDetector": (CLOUD_KEY, "AWS access key"),
    "AzureStorageKeyDetector": (CLOUD_KEY, "Azure storage account key"),
    "GoogleApiKeyDetector": (CLOUD_KEY, "Google Cloud API key"),
    "IbmCloudIamDetector": (CLOUD_KEY, "IBM Cloud IAM key"),
    "IbmCosHmacDetector": (CLOUD_KEY, "IBM Cloud Object Storage HMAC key"),
    "SoftlayerDetector": (CLOUD_KEY, "SoftLayer key"),
    "CloudantDetector": (CLOUD_KEY, "Cloudant credentials"),
    "PrivateKeyDetector": (PRIVATE_KEY, "private key"),
    "OpenAIDetector": (API_KEY, "OpenAI API key"),
    "AnthropicKeyDetector": (API_KEY, "Anthropic API key"),
    "GitHubTokenDetector": (API_KEY, "GitHub token"),
    "GitLabTokenDetector": (API_KEY, "GitLab token"),
    "SlackDetector": (API_KEY, "Slack token or webhook"),
    "StripeDetector": (API_KEY, "Stripe key"),
    "SendGridDetector": (API_KEY, "SendGrid API key"),
    "TwilioKeyDetector": (API_KEY, "Twilio API key"),
    "MailchimpDetector": (API_KEY, "Mailchimp API key"),
    "NpmDetector": (API_KEY, "npm token"),
    "PypiTokenDetector": (API_KEY, "PyPI token"),
    "DiscordBotTokenDetector": (API_KEY, "Discord bot token"),
    "TelegramBotTokenDetector": (API_KEY, "Telegram bot token"),
    "SquareOAuthDetector": (API_KEY, "Square OAuth secret"),
    "ArtifactoryDetector": (API_KEY, "Artifactory credentials"),
    "JwtTokenDetector": (API_KEY, "JSON Web Token"),
    "BasicAuthDetector": (PASSWORD, "password in a URL"),
    "KeywordDetector": (PASSWORD, "password or secret"),
}
"""Left out, measured: ``Base64HighEntropyString``, ``HexHighEntropyString``
(noise on real repositories), ``IPPublicDetector`` (not a secret)."""

# A line longer than this is read in overlapping windows: detect-secrets'
# keyword patterns start with ``\\w*`` and cost quadratic time on one long
# word (a minified file, base64 data). The overlap is longer than any
# secret on one line that its plugins know (a JWT of a few hundred bytes).
WINDOW = 2048
OVERLAP = 1024


@dataclass(frozen=True)
class Hit:
    """One secret on one line: what kind (finding id and label) and its value."""

    finding_id: str
    label: str
    value: str


class Detectors:
    """detect-secrets' enabled plugins and its filters, ready to scan lines."""

    def __init__(self) -> None:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.core.scan import get_filters_with_parameter
        from detect_secrets.util.inject import call_function_with_arguments

        classes = {cls.__name__: cls for cls in get_mapping_from_secret_type_to_class().values()}
        classes.update({cls.__name__: cls for cls in _own_plugins()})
        self.plugins = [(classes[name](), finding_id, label)
                        for name, (finding_id, label) in ENABLED.items()]
        self._call = call_function_with_arguments
        self._line_filters = get_filters_with_parameter("line")
        self._secret_filters = get_filters_with_parameter("secret")
        self._context_filters = get_filters_with_parameter("context")
        self._file_filters = get_filters_with_parameter("filename")
        self.prefilter = _prefilter(self.plugins)

    def skips_file(self, name: str) -> bool:
        """Whether detect-secrets' file filters leave this file out (lock
        files, swagger definitions, non-text suffixes)."""
        return self._filtered(self._file_filters, filename=name)

    def scan(self, name: str, lines: list[str]) -> Iterator[tuple[int, Hit]]:
        """``(line index, hit)`` for each secret in ``lines`` (one file, or
        one notebook cell), after detect-secrets' filters. ``name`` is the
        file name: the keyword plugin reads assignments by file type."""
        from detect_secrets.util.code_snippet import get_code_snippet

        for index, line in enumerate(lines):
            if not self.prefilter.may_match(line):
                continue  # no plugin can match here: most lines
            context = get_code_snippet(lines, index + 1)
            if self._filtered(self._line_filters, filename=name, line=line, context=context):
                continue
            for piece in _windows(line):
                # A long line is searched again piece by piece: only the
                # pieces where something could match reach the plugins.
                if piece is line or self.prefilter.may_match(piece):
                    for hit in self._hits(name, piece, index, context):
                        yield index, hit

    def _hits(self, name, line, index, context) -> Iterator[Hit]:
        seen = set()
        for plugin, finding_id, label in self.plugins:
            for value in _values(plugin, name, line, index, context):
                if value in seen:
                    continue
                kwargs = dict(filename=name, secret=value, plugin=plugin, line=line)
                if self._filtered(self._secret_filters, **kwargs) or self._filtered(
                        self._context_filters, context=context, **kwargs):
                    continue
                seen.add(value)
                yield Hit(finding_id, label, value)

    def _filtered(self, filters, **kwargs) -> bool:
        for function in filters:
            try:
                if self._call(function, **kwargs):
                    return True
            except TypeError:  # a filter that wants what this call has not got
                continue
        return False


@lru_cache(maxsize=1)
def detectors() -> Detectors:
    """The detectors, built once per process (the engine's workers too)."""
    return Detectors()


def _values(plugin, name: str, line: str, index: int, context) -> Iterator[str]:
    """The secrets one plugin finds on a line. A pattern plugin's matches
    are taken whole (see :func:`secret_span`); detect-secrets 1.5 would give
    only the first group, ``ghp`` for every GitHub token."""
    from detect_secrets.plugins.base import RegexBasedDetector

    if not isinstance(plugin, RegexBasedDetector):
        for secret in plugin.analyze_line(filename=name, line=line, line_number=index + 1,
                                          context=context):
            if secret.secret_value:
                yield secret.secret_value
        return
    valid = getattr(plugin, "is_formally_valid", None)  # the JWT plugin's own test
    for regex in plugin.denylist:
        for match in regex.finditer(line):
            start, end = secret_span(match)
            value = line[start:end]
            if value and (valid is None or valid(value)):
                yield value


# Around a token, what some patterns match to find its edges (Artifactory's
# "(?:\s|=|:|\"|^)AKC…").
_EDGES = " \t=:\"'"


def secret_span(match: re.Match[str]) -> tuple[int, int]:
    """The part of a pattern plugin's match that is the secret: its first
    group when that holds a value of 16 or more characters (the key after
    ``aws_secret = "``, the password of a URL is shorter but is the whole
    point: any group of a URL pattern), else the whole match without the
    delimiters some patterns match around it."""
    if match.re.groups:
        start, end = match.span(1)
        if start >= 0 and (end - start >= 16 or "://" in match.re.pattern):
            return start, end
    start, end = match.span()
    text = match.string
    while start < end and text[start] in _EDGES:
        start += 1
    while end > start and text[end - 1] in _EDGES:
        end -= 1
    return start, end


@cache
def _named_value() -> re.Pattern[str]:
    return re.compile(r"[A-Za-z_]{3,24}[=:]")


def name_length(value: str) -> int:
    """How much of a matched secret is the name before it (``AccountKey=``):
    that part is no secret and stays readable when the value is masked."""
    named = _named_value().match(value)
    return named.end() if named else 0


def _windows(line: str) -> Iterator[str]:
    if len(line) <= WINDOW:
        yield line
        return
    for start in range(0, len(line) - OVERLAP, WINDOW - OVERLAP):
        yield line[start:start + WINDOW]


def _prefilter(plugins) -> Prefilter:
    """Which lines some enabled plugin could find something on
    (``prefilter.py``): the pattern plugins' own patterns, and for the
    keyword plugin its keywords."""
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.keyword import DENYLIST

    patterns = [re.compile("|".join(DENYLIST), re.IGNORECASE)]
    for plugin, _, _ in plugins:
        if isinstance(plugin, RegexBasedDetector):
            patterns.extend(plugin.denylist)
        elif type(plugin).__name__ != "KeywordDetector":
            patterns.append(re.compile(""))  # a plugin we cannot summarise: every line goes
    return build(patterns)


def _own_plugins() -> list[type]:
    """Detectors detect-secrets 1.5 lacks, written as its plugins are."""
    from detect_secrets.plugins.base import RegexBasedDetector

    class HuggingFaceTokenDetector(RegexBasedDetector):
        """Hugging Face user access tokens (``hf_`` and 34 letters) and the
        older organisation API tokens (``api_org_``)."""

        secret_type = "Hugging Face Token"
        denylist = (
            re.compile(r"(?<![A-Za-z0-9_])(hf_[A-Za-z0-9]{30,60})(?![A-Za-z0-9])"),
            re.compile(r"(?<![A-Za-z0-9_])(api_org_[A-Za-z0-9]{30,60})(?![A-Za-z0-9])"),
        )

    class GoogleApiKeyDetector(RegexBasedDetector):
        """Google Cloud API keys: ``AIza`` and 35 characters."""

        secret_type = "Google API Key"
        denylist = (re.compile(r"(?<![A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])"),)

    class AnthropicKeyDetector(RegexBasedDetector):
        """Anthropic API keys (``sk-ant-``)."""

        secret_type = "Anthropic API Key"
        denylist = (re.compile(
            r"(?<![A-Za-z0-9_-])(sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,120})"),)

    return [HuggingFaceTokenDetector, GoogleApiKeyDetector, AnthropicKeyDetector]


# --- placeholders ----------------------------------------------------------------
#
# detect-secrets' filters drop templated values (``${TOKEN}``, ``<key>``),
# sequential strings (``ABCDEF…``) and UUIDs, but not the example values
# documentation uses (``AKIAIOSFODNN7EXAMPLE``, ``hf_xxxxxxxx…``).

# Documented examples: AWS's own example key pair.
_KNOWN_EXAMPLES = frozenset({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})


@cache
def _placeholder_word() -> re.Pattern[str]:
    return re.compile(
        r"(?i)example|placeholder|dummy|sample|your[_-]?(?:own[_-]?)?(?:token|key|secret|api)|"
        r"(?:fake|test|mock)[_-]?(?:token|key|secret)|redacted|changeme|xxxx|\*\*\*\*|\.\.\.")


@cache
def _repeated() -> re.Pattern[str]:
    return re.compile(r"(.)\1{5,}")


def is_placeholder(value: str) -> bool:
    """Whether a value matched as a secret is an example written for
    people: a documented example key, a word that says so (EXAMPLE,
    placeholder, your_token, xxxx), one character repeated (``hf_aaaaaa…``),
    a run typed in order (``0123456789abcdef``, ``fedcba98…``), or too few
    different characters to be random."""
    if value in _KNOWN_EXAMPLES or _placeholder_word().search(value) or _repeated().search(value):
        return True
    if _has_run(value.lower(), _SEQUENCE) or _has_run(value.lower(), _SEQUENCE[::-1]):
        return True
    body = re.sub(r"^(?:hf_|api_org_|AKIA|AIza|sk-(?:ant-)?|gh[pousr]_|xox.-)", "", value)
    return len(body) >= 16 and _entropy(body) < 3.0


# "0123456789abcdef", "fedcba9876543210": typed, not generated.
_SEQUENCE = "0123456789abcdefghijklmnopqrstuvwxyz"
MIN_RUN = 6


def _has_run(value: str, sequence: str) -> bool:
    """Whether ``value`` holds ``MIN_RUN`` characters in a row that follow
    each other in ``sequence`` (a random 32-character token has such a run
    about once in a billion)."""
    run = 1
    for before, after in zip(value, value[1:], strict=False):
        at = sequence.find(before)
        run = run + 1 if at >= 0 and sequence[at + 1:at + 2] == after else 1
        if run >= MIN_RUN:
            return True
    return False


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character: a random token of letters
    and digits has about 5; ``abcabcabcabc`` about 1.6."""
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
