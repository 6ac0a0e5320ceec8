"""The underlag: add, reorder, remove, export with citations; CSRF on every POST; a signed session."""

from __future__ import annotations

import csv
import io
import re

import pytest

pytestmark = pytest.mark.slow

REPORT = "mellerud-2024-arbetsmarknadsverksamheten"


def _token(client) -> str:
    page = client.get("/register?kommun=Orsa").get_data(as_text=True)  # a page with POST forms
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _post(client, url, **form):
    return client.post(url, data={"csrf_token": _token(client), **form})


@pytest.fixture
def chunks(corpus_index):
    return corpus_index.catalog.chunks_of(REPORT)[3:6]


def _ids_on_page(client) -> list[str]:
    page = client.get("/underlag").get_data(as_text=True)
    return re.findall(r'class="order".*?name="chunk_id" value="([0-9a-f]+)"', page, re.S)


def test_add_reorder_remove(client, chunks):
    for chunk in chunks:
        response = _post(client, "/underlag/add", chunk_id=chunk.id, next=f"/reports/{REPORT}#{chunk.id}")
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/reports/{REPORT}#{chunk.id}")
    a, b, c = (ch.id for ch in chunks)
    assert _ids_on_page(client) == [a, b, c]
    _post(client, "/underlag/change", chunk_id=c, action="up")
    assert _ids_on_page(client) == [a, c, b]
    _post(client, "/underlag/change", chunk_id=a, action="down")
    assert _ids_on_page(client) == [c, a, b]
    _post(client, "/underlag/change", chunk_id=a, action="remove")
    assert _ids_on_page(client) == [c, b]
    _post(client, "/underlag/add", chunk_id=c)  # adding twice keeps one
    assert _ids_on_page(client) == [c, b]
    assert "Underlag (2)" in client.get("/").get_data(as_text=True)
    _post(client, "/underlag/change", action="clear")
    assert _ids_on_page(client) == []


def test_export_markdown_and_csv_with_full_citations(client, chunks, corpus_index):
    for chunk in chunks[:2]:
        _post(client, "/underlag/add", chunk_id=chunk.id)
    md = client.get("/underlag/underlag.md")
    assert md.status_code == 200 and "attachment" in md.headers["Content-Disposition"]
    assert md.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert client.get("/underlag/underlag.csv").headers["Content-Type"] == "text/csv; charset=utf-8"
    text = md.get_data(as_text=True)
    report = corpus_index.catalog.report(REPORT)
    for chunk in chunks[:2]:
        assert f"http://localhost/reports/{REPORT}?passage={chunk.id}#{chunk.id}" in text
        assert chunk.section in text
    assert report.meta.title in text and "Mellerud" in text and "PwC" in text and "2024" in text
    assert text.index(chunks[0].id) < text.index(chunks[1].id)
    rows = list(csv.DictReader(io.StringIO(client.get("/underlag/underlag.csv").get_data(as_text=True)
                                           .lstrip("\ufeff")), delimiter=";"))
    assert [r["permalänk"].rsplit("#", 1)[1] for r in rows] == [c.id for c in chunks[:2]]
    assert rows[0]["kommun"] == "Mellerud" and rows[0]["revisionsbyrå"] == "PwC" and rows[0]["år"] == "2024"


def test_export_permalinks_use_the_sites_public_address_when_set(corpus_index, chunks):
    """Behind a proxy the request's host is an internal one; KB_SITE_URL is what readers open."""
    from dataclasses import replace

    from web import create_app

    config = replace(corpus_index.config, site_url="https://granskning.example.se")
    client = create_app({"TESTING": True}, config=config, index=corpus_index).test_client()
    _post(client, "/underlag/add", chunk_id=chunks[0].id)
    text = client.get("/underlag/underlag.md").get_data(as_text=True)
    assert f"<https://granskning.example.se/reports/{REPORT}?passage={chunks[0].id}#{chunks[0].id}>" in text
    assert "localhost" not in text


def test_a_passage_that_no_longer_exists_is_shown_not_a_crash(client, app):
    gone = "0" * 64
    with client.session_transaction() as session:
        session["underlag"] = [gone]
    page = client.get("/underlag")
    assert page.status_code == 200 and "Stycket finns inte längre" in page.get_data(as_text=True)
    assert "finns inte längre" in client.get("/underlag/underlag.md").get_data(as_text=True)


def test_posts_without_a_valid_csrf_token_are_refused(client, chunks):
    client.get("/underlag")
    for data in ({"chunk_id": chunks[0].id}, {"chunk_id": chunks[0].id, "csrf_token": "fel"}):
        response = client.post("/underlag/add", data=data)
        assert response.status_code == 400 and 'role="alert"' in response.get_data(as_text=True)
    fresh = client.application.test_client()  # no session at all
    assert fresh.post("/underlag/add", data={"chunk_id": chunks[0].id, "csrf_token": ""}).status_code == 400
    assert _ids_on_page(client) == []


@pytest.mark.parametrize("url, form, status", [
    ("/underlag/add", {"chunk_id": "../../etc"}, 400),
    ("/underlag/add", {"chunk_id": "ab" * 32}, 404),
    ("/underlag/change", {"chunk_id": "ab" * 32, "action": "up"}, 400),
    ("/underlag/change", {"action": "explode"}, 400),
])
def test_basket_bad_input(client, url, form, status):
    assert _post(client, url, **form).status_code == status


def test_redirects_stay_on_the_site(client, chunks):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example",
                   "/\n/evil.example", "/q\n", "/q\r\nSet-Cookie: x=1", "/ /x", "/\u2028x"):
        response = _post(client, "/underlag/add", chunk_id=chunks[0].id, next=target)
        assert response.status_code == 303 and response.headers["Location"] == "/underlag", target
    response = _post(client, "/underlag/add", chunk_id=chunks[1].id, next="/?q=samverkan%20AF&kommun=Ale#x")
    assert response.headers["Location"] == "/?q=samverkan%20AF&kommun=Ale#x"


def test_unknown_export_format_is_404(client):
    assert client.get("/underlag/underlag.pdf").status_code == 404


def test_session_cookie_is_signed_and_httponly(client, chunks):
    response = _post(client, "/underlag/add", chunk_id=chunks[0].id)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert chunks[0].id not in cookie  # compressed and signed, not a plain list


def test_unknown_routes_and_methods_answer_before_csrf(client):
    assert client.post("/finns-inte").status_code == 404
    assert client.post("/register").status_code == 405
