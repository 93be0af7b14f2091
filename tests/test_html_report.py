"""``--format html``: one self-contained page with no network request.

The structural tests parse the page with Python's html.parser: no ``src``,
no stylesheet or ``@import``/``url(`` that loads anything, links only to
http(s) pages in the references; every text escaped; evidence masked
exactly as the JSON masks it. The browser tests load the page in a real
headless Chromium driven over the DevTools protocol (``--remote-debugging-pipe``)
and check that it logs no console error and makes no request but its own
file, that the filters hide what they should, and save a screenshot. They
are skipped, with the reason, when Chromium is not installed (``make test``
installs it where it may).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import make_bundle

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("own-work", "unlicensed-unfilled", "portrait-sessions", "nc-base-lora",
            "forum-fanart", "geotagged-portraits", "fine-tune-declared",
            "pickled-checkpoint")
# What the hostile bundle writes where the page shows bundle text.
SCRIPT_COLUMN = "<script>alert(1)</script>"
IMG_FILE = "<img src=x onerror=alert(1)>.txt"
RAW_EMAIL = "maria.gonzalez@postbox-mail.org"
RAW_PHONE = "415-555-0199"


class Page(HTMLParser):
    """What the structural checks need from a page: every tag with its
    attributes, the text of style and script elements, and finding rows."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self._inside: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "script"):
            self._inside = tag
            (self.styles if tag == "style" else self.scripts).append("")

    def handle_endtag(self, tag):
        if tag == self._inside:
            self._inside = None

    def handle_data(self, data):
        if self._inside == "style":
            self.styles[-1] += data
        elif self._inside == "script":
            self.scripts[-1] += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def rows(self) -> list[dict[str, str | None]]:
        return [a for a in self.all("tr") if a.get("class") == "finding"]


def html_of(cli, bundle, *extra) -> str:
    result = cli("assess", bundle, "-f", "html", *extra)
    assert result.code in (0, 1), result.err
    assert result.out.startswith("<!DOCTYPE html>")
    return result.out


def assert_self_contained(page: Page) -> None:
    """Nothing on the page loads anything: no src, no stylesheet link, no
    url(...) or @import in the CSS; <a href> only to http(s) pages or anchors;
    a CSP that forbids every other source."""
    for tag, attrs in page.tags:
        assert "src" not in attrs and "srcset" not in attrs, (tag, attrs)
        assert not (tag == "link"), attrs
        for name in ("action", "formaction", "data", "poster", "background", "style"):
            assert name not in attrs, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if "href" in attrs:
            assert tag == "a", (tag, attrs)
            assert attrs["href"].startswith(("https://", "http://", "#")), attrs
    for css in page.styles:
        assert "url(" not in css and "@import" not in css and "@font-face" not in css
    for script in page.scripts:
        for call in ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "sendBeacon", "src"):
            assert call not in script, call
    csp = [a["content"] for a in page.all("meta")
           if (a.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(csp) == 1 and "default-src 'none'" in csp[0]
    assert "unsafe-inline" not in csp[0]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_pages_are_self_contained_and_say_what_the_json_says(name, cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = html_of(cli, f"examples/{name}")
    report = cli("assess", f"examples/{name}", "-f", "json").json()
    page = Page(text)
    assert_self_contained(page)
    assert len(page.scripts) == 1 and len(page.styles) == 1
    # Every finding is a row, with its severity and artifact for the filters.
    rows = page.rows()
    assert [(r["data-severity"], r["data-artifact"]) for r in rows] == [
        (f["severity"], f.get("artifact") or "") for f in report["findings"]]
    # Findings are grouped by the four checkpoints, in the field guide's order.
    sections = [a["id"] for a in page.all("section") if a.get("class") == "checkpoint"]
    assert sections == ["checkpoint-dataset", "checkpoint-model-code",
                        "checkpoint-training-resources", "checkpoint-publishing"]
    # One tier badge per artifact, with its tier; the overall one in the header.
    for artifact, decision in report["recommendation"]["artifacts"].items():
        assert f'id="artifact-{artifact}"' in text
        card = text.split(f'id="artifact-{artifact}"', 1)[1].split('class="artifact"', 1)[0]
        assert f'badge tier-{decision["tier"]}' in card
        assert f"keep {decision['retention']}" in card
    assert 'id="fix-first"' in text
    # Charts are inline SVG: findings per checkpoint, files and sizes by kind,
    # licences; and the dataset's items per licence when a manifest lists them.
    composition = report.get("composition")
    charts = 4 + bool(composition and composition["items"])
    assert text.count("<figcaption>") == charts and text.count("<svg") == charts
    # The dataset composition: a section when the bundle has a dataset.
    assert ('id="composition"' in text) == (composition is not None)
    # The filter bar is hidden until the script shows it: without script,
    # every finding is visible and no control does nothing.
    assert "hidden" in page.all("form")[0]
    assert not any("hidden" in r for r in rows)


def test_evidence_is_masked_exactly_as_in_json_and_raw_values_never_appear(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = html_of(cli, "examples/portrait-sessions")
    report = cli("assess", "examples/portrait-sessions", "-f", "json").json()
    shown = [e for e in (f.get("evidence") for f in report["findings"]) if e]
    assert shown
    for evidence in shown:
        from html import escape

        assert f'<span class="evidence">{escape(evidence)}</span>' in text
    # The captions hold these raw values; the page holds none of them.
    captions = (ROOT / "examples/portrait-sessions/data/captions.csv").read_text()
    assert RAW_EMAIL in captions and RAW_PHONE in captions
    assert RAW_EMAIL not in text and RAW_PHONE not in text
    assert "Maria Gonzalez" not in text


def test_show_pii_shows_the_raw_values_as_the_json_does(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = html_of(cli, "examples/portrait-sessions", "--show-pii")
    assert RAW_EMAIL in text


def hostile_bundle(root: Path) -> Path:
    """Bundle text shaped as markup: a column named like a script element
    and a file named like an image tag with a handler, both with findings."""
    return make_bundle(root, {
        "data/captions.csv": f"file,{SCRIPT_COLUMN}\n"
                             f'a.png,"write to {RAW_EMAIL}"\nb.png,"call {RAW_PHONE}"\n',
        f"data/{IMG_FILE}": f"contact {RAW_EMAIL}\n",
    })


def test_bundle_text_shaped_as_markup_renders_as_text(cli, tmp_path):
    bundle = hostile_bundle(tmp_path / "bundle")
    text = html_of(cli, bundle)
    page = Page(text)
    assert_self_contained(page)
    assert len(page.scripts) == 1  # ours only
    assert "alert" not in page.scripts[0]
    assert not page.all("img")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in text
    assert SCRIPT_COLUMN not in text and "<img src=x" not in text
    assert RAW_EMAIL not in text and RAW_PHONE not in text


def _composition_section(text: str) -> str:
    return text.split('<section id="composition">', 1)[1].split("</section>", 1)[0]


def test_composition_section_says_what_the_terminal_says(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    section = _composition_section(html_of(cli, "examples/nc-base-lora"))
    assert "<figcaption>Dataset items per licence</figcaption>" in section
    assert ('<th scope="row">Sources</th><td>example.org 3, '
            '<span class="muted">(not a URL)</span> 2, flickr.com 1</td>') in section
    assert '<th scope="row">Creators</th><td>5 distinct · 0 items name none</td>' in section
    # One bar per licence: a stated id in colour, "(none stated)" in grey.
    assert '<rect class="c-0"' in section and '<rect class="c-12"' in section
    assert section.count("<rect ") == 5
    portraits = _composition_section(html_of(cli, "examples/portrait-sessions"))
    assert "<svg" not in portraits  # no manifest: no items per licence to draw
    assert '<th scope="row">· gender</th><td>man 1, woman 1</td>' in portraits
    for raw in ("Maria Gonzalez", RAW_EMAIL, "diabetes"):
        assert raw not in portraits


def test_export_narrowed_to_code_has_no_composition(cli, tmp_path):
    target = tmp_path / "code.html"
    result = cli("export", "html", ROOT / "examples" / "forum-fanart", "--artifact", "code",
                 "-o", target)
    assert result.code == 0, result.err
    assert 'id="composition"' not in target.read_text(encoding="utf-8")


# Licences shaped as markup, a name in a free-text licence and in a caption,
# a "|" in a column name, a long licence id and a long host.
LONG_LICENCE = "CC BY-NC-SA 4.0 International"  # licence words: shown
LONG_HOST = ".".join(["a" * 60] * 4) + ".example"


def hostile_composition_bundle(root: Path) -> Path:
    return make_bundle(root, {
        "data/sources.csv": (
            "file,creator,source,license,notes|x\n"
            "a.png,Ines Okafor,https://evil.example/a,<b>bold</b>,n\n"
            "b.png,,https://" + LONG_HOST + "/b,<img src=x onerror=alert(1)>,n\n"
            "c.png,,,Permission from Jane Doe,n\n"
            "d.png,,,\"" + "x" * 5000 + "\",n\n"
            f"e.png,,,{LONG_LICENCE},n\n"),
        "data/captions.csv": "file,caption\na.png,portrait of Zelda Quintavalle | a woman\n",
    })


def test_hostile_composition_values_render_as_text(cli, tmp_path):
    text = html_of(cli, hostile_composition_bundle(tmp_path / "bundle"))
    page = Page(text)
    assert_self_contained(page)
    assert not page.all("b") and not page.all("img")
    section = _composition_section(text)
    assert '<th scope="row">Licences</th><td><span class="muted">(free text)</span> 4, ' \
           f"{LONG_LICENCE} 1</td>" in section
    # In the chart a long label is cut to fit left of its bar; its tooltip has it whole.
    assert '<text x="142" y="44" text-anchor="end">CC BY-NC-SA 4.0 Inter…</text>' in section
    assert f"<title>{LONG_LICENCE} · licence id stated: 1 item</title>" in section
    assert f"{LONG_HOST} 1" in section
    for raw in ("Jane", "Doe", "Zelda", "Quintavalle", "Ines", "Okafor", "portrait", "bold",
                "onerror", "xxxxx"):
        assert raw not in section, raw


def test_references_are_plain_links_and_other_schemes_are_text():
    from aiart_release.report.html import _reference

    assert _reference("https://gdpr-info.eu/art-9-gdpr/") == (
        '<a href="https://gdpr-info.eu/art-9-gdpr/" rel="noopener noreferrer">'
        "https://gdpr-info.eu/art-9-gdpr/</a>")
    assert _reference("javascript:alert(1)") == "javascript:alert(1)"
    assert _reference('https://x.test/"onmouseover="alert(1)').count('"') == 4


# --- in a real browser ---------------------------------------------------------

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                       "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian: apt-get install chromium; make test "
           "installs it when run as root)")
BROWSER_SECONDS = 10
# The first answer waits for Chromium to start, which took more than ten
# seconds on a busy two-core machine (the suite's other work beside it).
STARTUP_SECONDS = 60


class Browser:
    """A headless Chromium driven over the DevTools protocol on a pipe: one
    page, its console messages, exceptions and requests recorded."""

    def __init__(self, profile: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds():
            # The protocol pipe is fds 3 (in) and 4 (out) of the browser. Moved
            # out of the way first, so that neither dup2 closes the other's fd.
            reading = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            writing = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--disable-component-update", "--disable-default-apps",
             # Belt and braces: were a request made, it could reach nothing.
             "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
             "--window-size=1280,1600", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # No close_fds: it would run after wire_fds and close 3 and 4; every
            # other fd of ours is close-on-exec anyway.
            preexec_fn=wire_fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", seconds=STARTUP_SECONDS,
                           url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def _read_message(self) -> dict:
        while b"\0" not in self._buffer:
            left = self.deadline - time.monotonic()
            ready, _, _ = select.select([self._from_chrome], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"Chromium did not answer in {self.seconds} s")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: bool = False, seconds: float = BROWSER_SECONDS,
             **params) -> dict:
        # Each exchange gets its own time: the test's own work in between
        # (assessing a bundle) is not the browser's.
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, since: int = 0) -> dict:
        """The first ``method`` event from the ``since``-th event on: one may
        have come while a call waited for its reply."""
        for event in self.events[since:]:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message()
            self.events.append(event)
            if event.get("method") == method:
                return event

    def open(self, url: str) -> None:
        since = len(self.events)
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired", since)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        shot = self.call("Page.captureScreenshot", session=True, format="png",
                         captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, CSP violations."""
        out = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                out.append(f"exception: {details.get('text')} "
                           f"{details.get('exception', {}).get('description', '')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                                 "warning"):
                out.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error",
                                                                            "warning"):
                out.append(f"log {params['entry']['level']}: {params['entry']['text']}")
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            os.write(self._to_chrome, json.dumps(
                {"id": 0, "method": "Browser.close", "params": {}}).encode() + b"\0")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


@pytest.fixture
def browser(tmp_path):
    started = Browser(tmp_path / "chromium-profile")
    yield started
    started.close()


def only_own_file(requests: list[str], page: Path) -> list[str]:
    """The requests other than the page's own file (the fragment aside)."""
    own = page.resolve().as_uri()
    return [u for u in requests if u.split("#", 1)[0] != own]


@needs_chromium
def test_the_browser_harness_sees_requests_and_errors(browser, tmp_path):
    """The checks below can fail: a page that loads an image and throws is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><img src="https://example.invalid/x.png">'
                    "<script>undefinedFunction()</script>", encoding="utf-8")
    browser.open(page.as_uri())
    assert only_own_file(browser.requests(), page) == ["https://example.invalid/x.png"]
    assert any("undefinedFunction" in p for p in browser.problems())


@needs_chromium
@pytest.mark.parametrize("name", ["portrait-sessions", "nc-base-lora"])
def test_the_page_in_chromium_has_no_errors_and_no_requests(name, cli, monkeypatch, tmp_path,
                                                            browser):
    monkeypatch.chdir(ROOT)
    page = tmp_path / f"{name}.html"
    page.write_text(html_of(cli, f"examples/{name}"), encoding="utf-8")
    browser.open(page.as_uri())
    assert browser.problems() == []
    assert only_own_file(browser.requests(), page) == []
    assert browser.evaluate("document.getElementById('filters').hidden") is False
    # The composition section is laid out: its rows have a height on the page.
    assert browser.evaluate("Array.from(document.querySelectorAll('#composition tr'))"
                            ".filter(r => r.offsetHeight > 0).length") >= 2
    shot = browser.screenshot(tmp_path / f"{name}.png")
    assert shot.read_bytes().startswith(b"\x89PNG")
    print(f"screenshot: {shot}")


VISIBLE_ROWS = """Array.from(document.querySelectorAll('tr.finding')).filter(r => !r.hidden)
  .map(r => r.getAttribute('data-severity') + ' ' + r.getAttribute('data-artifact'))"""


@needs_chromium
def test_the_filters_work_in_chromium(cli, monkeypatch, tmp_path, browser):
    monkeypatch.chdir(ROOT)
    page = tmp_path / "report.html"
    page.write_text(html_of(cli, "examples/portrait-sessions"), encoding="utf-8")
    report = cli("assess", "examples/portrait-sessions", "-f", "json").json()
    every = [f"{f['severity']} {f.get('artifact') or ''}" for f in report["findings"]]
    high_dataset = [r for r in every if r.split()[0] in ("high", "critical")
                    and r.split()[1] == "dataset"]
    assert 0 < len(high_dataset) < len(every)

    # A fragment preselects the filters.
    browser.open(page.as_uri() + "#severity=high&artifact=dataset")
    assert browser.evaluate(VISIBLE_ROWS) == high_dataset
    assert browser.evaluate("document.getElementById('filter-count').textContent") == (
        f"{len(high_dataset)} of {len(every)} findings shown")
    # Choosing in the selects filters too; "all" shows every finding again.
    browser.evaluate("""(() => { const s = document.getElementById('filter-severity');
        s.value = ''; s.dispatchEvent(new Event('change')); })()""")
    assert browser.evaluate(VISIBLE_ROWS) == [r for r in every if r.endswith(" dataset")]
    assert browser.evaluate("location.hash") == "#artifact=dataset"
    browser.evaluate("""(() => { const a = document.getElementById('filter-artifact');
        a.value = 'code'; a.dispatchEvent(new Event('change')); })()""")
    code_rows = [r for r in every if r.endswith(" code")]
    assert browser.evaluate(VISIBLE_ROWS) == code_rows
    # A checkpoint left with no matching finding says so.
    empty = browser.evaluate("""Array.from(document.querySelectorAll('section.checkpoint'))
        .filter(s => s.querySelector('tr.finding') && !s.querySelector('tr.finding:not([hidden])'))
        .map(s => !s.querySelector('.none-match').hidden)""")
    assert empty and all(empty)
    assert browser.problems() == []
    print(f"screenshot: {browser.screenshot(tmp_path / 'filtered.png')}")


@needs_chromium
def test_bundle_markup_stays_text_in_chromium(cli, tmp_path, browser):
    bundle = hostile_bundle(tmp_path / "bundle")
    page = tmp_path / "hostile.html"
    page.write_text(html_of(cli, bundle), encoding="utf-8")
    browser.open(page.as_uri())
    assert browser.problems() == []
    assert only_own_file(browser.requests(), page) == []
    assert browser.evaluate("document.images.length") == 0
    assert browser.evaluate("document.scripts.length") == 1
    assert SCRIPT_COLUMN in browser.evaluate("document.body.textContent")


@needs_chromium
def test_hostile_composition_stays_text_in_chromium(cli, tmp_path, browser):
    page = tmp_path / "composition.html"
    page.write_text(html_of(cli, hostile_composition_bundle(tmp_path / "bundle")),
                    encoding="utf-8")
    browser.open(page.as_uri())
    assert browser.problems() == []
    assert only_own_file(browser.requests(), page) == []
    assert browser.evaluate("document.images.length") == 0
    assert browser.evaluate("document.querySelectorAll('#composition b').length") == 0
    shown = browser.evaluate("document.getElementById('composition').textContent")
    assert "Dataset items per licence" in shown and "(free text) 4" in shown
    assert "Jane" not in shown and "Zelda" not in shown
    # The long host wraps inside the page instead of widening it.
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    print(f"screenshot: {browser.screenshot(tmp_path / 'composition.png')}")


def test_licence_chart_shows_catalogue_ids_only():
    """A licence the catalogue does not know is bundle text: counted, never shown."""
    from types import SimpleNamespace

    from aiart_release.report.html import _licence_chart

    facts = SimpleNamespace(values={
        "license_of": {"dataset": ["CC-BY-NC-4.0", f"<b>{RAW_EMAIL}</b>"], "code": ["mit"]},
        "licenses": ["Apache-2.0", RAW_PHONE],
    })
    chart = _licence_chart(SimpleNamespace(facts=facts))
    page = Page(chart)
    assert not page.all("b")
    assert RAW_EMAIL not in chart and RAW_PHONE not in chart
    labels = chart.split("<text")
    for licence in ("CC-BY-NC-4.0", "MIT", "Apache-2.0", "(not in the catalogue)"):
        assert any(f">{licence}</text>" in label for label in labels), licence


def test_export_html_writes_the_page_under_its_file_name(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("export", "html", ROOT / "examples" / "portrait-sessions")
    assert result.code in (0, 1), result.err
    written = (tmp_path / "aiart-release-report.html").read_text(encoding="utf-8")
    assert_self_contained(Page(written))
    assert RAW_EMAIL not in written


@needs_chromium
def test_without_script_every_finding_is_visible_in_chromium(cli, monkeypatch, tmp_path,
                                                              browser):
    monkeypatch.chdir(ROOT)
    page = tmp_path / "report.html"
    page.write_text(html_of(cli, "examples/portrait-sessions"), encoding="utf-8")
    findings = cli("assess", "examples/portrait-sessions", "-f", "json").json()["findings"]
    browser.call("Emulation.setScriptExecutionDisabled", session=True, value=True)
    browser.open(page.as_uri() + "#severity=critical")  # a filter the script would apply
    laid_out = "Array.from(document.querySelectorAll('{}')).filter(e => e.offsetParent).length"
    assert browser.evaluate(laid_out.format("tr.finding")) == len(findings)
    assert browser.evaluate(laid_out.format("#filters")) == 0  # no control that does nothing
    assert browser.problems() == []
