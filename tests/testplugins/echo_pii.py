"""A check that reports a raw value it 'matched', like a PII check does, so
tests can show the raw value never reaches output, cache or logs."""

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity
from aiart_release.readers.text import read_text


class EchoEmails(Check):
    id = "echo-emails"
    checkpoint = Checkpoint.DATASET
    description = "Reports every word with an @ in it (test plugin)"
    kinds = frozenset({"text", "table"})
    findings = {"pii.test-email": "a word with an @"}

    def scan_file(self, file, ctx):
        text, _ = read_text(file.abspath, ctx.max_read_bytes)
        for number, line in enumerate(text.splitlines(), start=1):
            for word in line.split():
                if "@" in word:
                    yield Finding(
                        id="pii.test-email",
                        severity=Severity.HIGH,
                        message="E-mail-like word",
                        location=Location(path=file.path, line=number),
                        evidence=word[0] + "***@***",
                        matched=word,
                    )

    def facts(self, findings):
        return {"personal_data": bool(findings)} if findings else {}


@hookimpl
def aiart_release_register_checks(register):
    register(EchoEmails())
