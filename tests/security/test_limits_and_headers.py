"""Limits answered with a clear 400 or 413, and the security headers on every response."""

from __future__ import annotations

import pytest

from tests.security.conftest import app_over
from web import SECURITY_HEADERS


@pytest.mark.parametrize("params, message", [
    ({"q": "x" * 1001}, "för lång"),
    ({"q": "kontroll", "k": "0"}, "mellan 1 och 100"),
    ({"q": "kontroll", "k": "101"}, "mellan 1 och 100"),
    ({"q": "kontroll", "k": "-1"}, "mellan 1 och 100"),
    ({"q": "kontroll", "k": "9" * 400}, "mellan 1 och 100"),
    ({"q": "kontroll", "k": "1e3"}, "heltal"),
    ({"q": "kontroll", "k": "10.5"}, "heltal"),
    ({"q": "kontroll", "year_from": "1800"}, "1900"),
    ({"q": "kontroll", "section_type": "hemligt"}, "Okänt värde för section_type"),
    ({"q": "kontroll", "section_type": ["bedomning", "<script>"]}, "Okänt värde för section_type"),
    ({"q": "kontroll", "doc_type": "faktura"}, "Okänt värde för doc_type"),
    ({"q": "kontroll", "kommun": "x" * 201}, "för långa"),
    ({"q": "kontroll", "kommun": [f"k{i}" for i in range(51)]}, "För många"),
    ({"q": "kontroll", "kommun": "Orsa\x00"}, "otillåtna tecken"),
    ({"q": "kontroll", "firm": "PwC\u202e"}, "otillåtna tecken"),
])
def test_limits_are_a_clear_400_on_api_and_page(hclient, params, message):
    api = hclient.get("/api/search", query_string=params)
    assert api.status_code == 400 and message in api.get_json()["error"]
    page = hclient.get("/", query_string=params)
    assert page.status_code == 400 and message in page.get_data(as_text=True)


@pytest.mark.parametrize("name", ["bogus", "Q", "q[]", "__proto__", "k ", "\x00"])
def test_unknown_api_parameters_are_400(hclient, name):
    response = hclient.get("/api/search", query_string={"q": "kontroll", name: "1"})
    assert response.status_code == 400 and "Okänd parameter" in response.get_json()["error"]


def test_known_filter_values_are_accepted(hclient):
    response = hclient.get("/api/search", query_string={
        "q": "kontroll", "section_type": ["bedomning", "sammanfattning"], "doc_type": "granskningsrapport",
        "kommun": "Orsa", "k": 100})
    assert response.status_code == 200
    hits = response.get_json()["hits"]
    assert all(h["section_type"] in {"bedomning", "sammanfattning"} for h in hits)


def test_a_query_of_exactly_the_limit_is_searched(hclient):
    assert hclient.get("/api/search", query_string={"q": "kontroll " * 111}).status_code == 200


@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize("path, is_json", [("/api/search", True), ("/api/reports", True), ("/", False),
                                           ("/reports/fientlig", False)])
def test_a_body_over_the_limit_is_413(hostile_app, method, path, is_json):
    limit = hostile_app.config["MAX_CONTENT_LENGTH"]
    client = hostile_app.test_client()
    response = getattr(client, method)(path, data=b"x" * 10,
                                       environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    assert response.status_code == 413
    if is_json:
        assert response.get_json() == {"error": "Förfrågan är för stor.", "status": 413}
    else:
        assert '<html lang="sv">' in response.get_data(as_text=True)


def test_a_real_oversized_body_is_413(hostile_index):
    app = app_over(hostile_index, MAX_CONTENT_LENGTH=1000)
    response = app.test_client().post("/api/search?q=x", data=b"x" * 5000)
    assert response.status_code == 413 and response.is_json


ROUTES = [
    ("get", "/", 200), ("get", "/?q=intern+kontroll", 200), ("get", "/?q=", 400),
    ("get", "/reports/fientlig", 200), ("get", "/reports/finns-inte", 404),
    ("get", "/reports/finns-inte/original.pdf", 404), ("get", "/api/search?q=kontroll", 200),
    ("get", "/api/search?q=", 400), ("get", "/api/reports", 200), ("get", "/api/reports/x", 404),
    ("get", "/api/openapi.json", 200), ("get", "/healthz", 200), ("get", "/static/app.js", 200),
    ("get", "/static/style.css", 200), ("get", "/static/finns-inte.js", 404), ("get", "/nope", 404),
    ("post", "/api/search", 405), ("post", "/", 405), ("delete", "/api/reports/x", 405),
]


@pytest.mark.parametrize("method, path, status", ROUTES)
def test_every_response_carries_the_security_headers(hclient, method, path, status):
    response = getattr(hclient, method)(path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["X-Request-Id"]


def test_headers_on_500_and_413(hostile_index):
    app = app_over(hostile_index, TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("hemlig detalj")

    client = app.test_client()
    for response in (client.get("/boom"), client.post("/", environ_overrides={"CONTENT_LENGTH": "999999999999"})):
        assert response.status_code in (500, 413)
        assert all(response.headers.get(n) == v for n, v in SECURITY_HEADERS.items())


def test_csp_forbids_inline_script_and_framing(hclient):
    csp = hclient.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


@pytest.mark.parametrize("given", ["<script>alert(1)</script>", "abc\u2028def", "a" * 65, "id with space",
                                   "ok\x00"])
def test_hostile_request_ids_are_replaced(hclient, given):
    response = hclient.get("/healthz", headers={"X-Request-Id": given})
    assert response.headers["X-Request-Id"] != given
    assert len(response.headers["X-Request-Id"]) == 12


def test_a_plain_request_id_is_echoed(hclient):
    assert hclient.get("/healthz", headers={"X-Request-Id": "lb-1234.abc"}).headers["X-Request-Id"] == "lb-1234.abc"


def test_header_injection_in_values_never_splits_the_response(hclient):
    response = hclient.get("/api/search", query_string={"q": "kontroll\r\nSet-Cookie: evil=1"})
    assert "Set-Cookie" not in response.headers
    assert response.status_code == 200
