"""Hostile input in reports, metadata, queries and URLs: always escaped, never a 500."""

from __future__ import annotations

import pytest

from tests.security.conftest import XSS_FIRM, XSS_KOMMUN, XSS_TITLE, active_content

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "';alert(String.fromCharCode(88,83,83))//",
    "</title><script>alert(1)</script>",
    "{{7*7}} {% raw %}",
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/passwd",
    "kontroll\x00<script>",
    "\x00",
    "\u202e\u2066kontroll\u2069\u202c",
    "z\u0351\u0352\u0353\u0354\u0355 \u200b\u200d\ufeff intern kontroll",
    "😀🏳️‍🌈 försörjningsstöd",
    "x" * 10_000,
    "' OR 1=1 --",
    "'; DROP TABLE reports; --",
    '" OR "" = "',
    'NEAR("intern" "kontroll", 2) AND title:* OR ^kontroll NOT',
    "* ( ) \" ' : ^ + -",
    '{"q": "x", "hits": []}',
    '\\"}]}, "error": "injected',
    "kontroll\r\nSet-Cookie: evil=1",
    "%ff%fe%00",
    "intern kontroll",
]


def _ok_status(status: int) -> bool:
    return status in (200, 400)


@pytest.mark.parametrize("attack", ATTACKS, ids=range(len(ATTACKS)))
def test_attack_queries_on_the_search_page_are_escaped(hclient, attack):
    response = hclient.get("/", query_string={"q": attack})
    assert _ok_status(response.status_code), response.status_code
    html = response.get_data(as_text=True)
    assert active_content(html) == []
    assert '<html lang="sv">' in html


@pytest.mark.parametrize("attack", ATTACKS, ids=range(len(ATTACKS)))
def test_attack_queries_on_the_api_are_json(hclient, attack):
    response = hclient.get("/api/search", query_string={"q": attack, "k": 5})
    assert _ok_status(response.status_code), response.status_code
    body = response.get_json()
    if response.status_code == 200:
        assert body["query"] == attack.replace("\x00", " ").strip()  # the same text, as data
    else:
        assert body["status"] == 400 and body["error"]


@pytest.mark.parametrize("attack", ATTACKS, ids=range(len(ATTACKS)))
def test_attack_values_in_filters_are_400_or_filtered(hclient, attack):
    for name in ("kommun", "firm"):
        response = hclient.get("/api/search", query_string={"q": "kontroll", name: attack})
        assert _ok_status(response.status_code)
        if response.status_code == 200:
            assert all(hit[name] == attack for hit in response.get_json()["hits"])


def test_sql_injection_leaves_the_catalog_whole(hclient, hostile_index):
    before = hostile_index.catalog.counts()
    for attack in ("'; DROP TABLE reports; --", "x'); DELETE FROM chunks; --"):
        assert hclient.get("/api/search", query_string={"q": attack, "kommun": attack}).status_code == 200
    assert hostile_index.catalog.counts() == before


def _report_ids(hclient) -> list[str]:
    return [r["id"] for r in hclient.get("/api/reports").get_json()["reports"]]


def test_hostile_reports_render_without_active_content(hclient):
    ids = _report_ids(hclient)
    assert {"fientlig-rapport", "fientlig"} <= set(ids)
    for report_id in ids:
        response = hclient.get(f"/reports/{report_id}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert active_content(html) == [], report_id


def test_hostile_metadata_is_shown_as_text(hclient):
    html = hclient.get("/reports/fientlig-rapport").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Granskning" in html
    assert XSS_TITLE not in html and XSS_KOMMUN not in html and XSS_FIRM not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_hostile_markdown_keeps_text_and_loses_links(hclient):
    html = hclient.get("/reports/fientlig").get_data(as_text=True)
    assert "&lt;script&gt;" in html or "alert('md')" not in html  # shown as text, or dropped
    assert active_content(html) == []
    assert "här" in html and "granska" in html  # the link text stays, its target goes


def test_search_results_over_hostile_reports_are_escaped(hclient):
    for query in ("intern kontroll", "alert script onerror", "granskning rutiner"):
        response = hclient.get("/", query_string={"q": query, "k": 20})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'class="hit"' in html
        assert active_content(html) == [], query


def test_api_returns_hostile_metadata_verbatim_as_json(hclient):
    report = hclient.get("/api/reports/fientlig-rapport").get_json()
    assert report["title"] == XSS_TITLE and report["kommun"] == XSS_KOMMUN
    assert hclient.get("/api/reports/fientlig-rapport").mimetype == "application/json"


TRAVERSALS = [
    "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd",
    "..%252f..%252fetc%252fpasswd", "..%5c..%5cwindows%5cwin.ini", "%2fetc%2fpasswd",
    "/etc/passwd", "....//....//etc/passwd", "..%c0%af..%c0%afetc%c0%afpasswd",
    "%ff%fe", "%c0%ae%c0%ae", "%00", "abc%00def", "%e2%80%ae", "x" * 5000,
]


@pytest.mark.parametrize("template", ["/reports/{}", "/reports/{}/original.pdf", "/api/reports/{}",
                                      "/static/{}", "/static/..%2f{}", "/{}"])
@pytest.mark.parametrize("attack", TRAVERSALS, ids=range(len(TRAVERSALS)))
def test_routes_take_ids_never_paths(hclient, template, attack):
    response = hclient.get(template.format(attack), follow_redirects=True)
    assert response.status_code in (400, 404), response.status_code
    body = response.get_data()
    assert b"root:" not in body and b"[fonts]" not in body and b"import " not in body
    if template.startswith("/api/"):
        assert response.is_json


@pytest.mark.parametrize("path", ["/static/../web/__init__.py", "/static/%2e%2e/web/__init__.py",
                                  "/static/..%2f..%2fkb%2fconfig.py", "/static//etc/passwd",
                                  "/static/%2fetc%2fpasswd"])
def test_static_files_cannot_reach_outside(hclient, path):
    response = hclient.get(path, follow_redirects=True)
    assert response.status_code == 404
    assert b"KB_DATA_DIR" not in response.get_data() and b"root:" not in response.get_data()


@pytest.mark.parametrize("url", ["/?q=%ff%fe", "/api/search?q=%ff%fe", "/?q=%c0%ae%c0%ae",
                                 "/api/search?q=%ed%a0%80", "/api/search?q=kontroll&kommun=%ff",
                                 "/?q=kontroll&firm=%fe%ff&k=%ff", "/api/reports/%ff%fe",
                                 "/reports/%ff%fe?passage=%ff", "/?q=%00", "/api/search?q=%00%00",
                                 "/?%ff=%fe", "/api/search?%ff=1&q=x"])
def test_invalid_utf8_and_nul_are_handled(hclient, url):
    response = hclient.get(url)
    assert response.status_code in (200, 400, 404), response.status_code
    if url.startswith("/api/"):
        assert response.is_json
    else:
        assert active_content(response.get_data(as_text=True)) == []
