"""The JSON API: the contract fields, and a clear JSON error for every kind of bad input."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

HIT_FIELDS = {"rank", "score", "chunk_id", "report_id", "title", "kommun", "year", "firm",
              "section", "page", "start", "end", "text", "url"}


def test_search_returns_hits_with_contract_fields(client):
    response = client.get("/api/search", query_string={"q": "samverkan med Arbetsförmedlingen",
                                                       "k": 10})
    assert response.status_code == 200
    body = response.get_json()
    assert body["query"] == "samverkan med Arbetsförmedlingen"
    assert len(body["hits"]) == 10
    assert all(set(hit) >= HIT_FIELDS for hit in body["hits"])
    assert len({hit["kommun"] for hit in body["hits"]}) >= 3


def test_a_named_kommun_comes_first_and_is_said_so(client):
    query = {"q": "samverkan med Arbetsförmedlingen i Ödeshög", "k": 10}
    body = client.get("/api/search", query_string=query).get_json()
    assert body["places_first"] == ["Ödeshög"]
    assert [hit["kommun"] for hit in body["hits"]] == ["Ödeshög"] * 10
    plain = client.get("/api/search", query_string={"q": "samverkan med Arbetsförmedlingen", "k": 10}).get_json()
    assert plain["places_first"] == [] and len({hit["kommun"] for hit in plain["hits"]}) > 1
    absent = client.get("/api/search", query_string={"q": "försörjningsstöd i Kungsbacka"}).get_json()
    assert absent["places_first"] == []  # the archive has no passage from Kungsbacka to put first


def test_misspelled_words_are_corrected_and_said_so_unless_spell_is_0(client):
    body = client.get("/api/search", query_string={"q": "genomförandplan forsorjningsstod", "k": 5}).get_json()
    assert body["query"] == "genomförandplan forsorjningsstod"
    assert body["searched"] == "genomförandeplan försörjningsstöd"
    assert body["corrections"] == [{"typed": "genomförandplan", "corrected": "genomförandeplan"},
                                   {"typed": "forsorjningsstod", "corrected": "försörjningsstöd"}]
    assert any("genomförandeplan" in hit["text"] for hit in body["hits"])
    exact = client.get("/api/search", query_string={"q": "genomförandplan forsorjningsstod", "spell": "0"}).get_json()
    assert exact["searched"] == exact["query"] and exact["corrections"] == []
    assert not any("genomförandeplan" in hit["text"] for hit in exact["hits"][:1])


def test_a_query_in_decomposed_unicode_searches_as_the_composed_one(client):
    """Text pasted on a Mac may spell "ö" as o + a combining diaeresis (NFD); it meant the same words."""
    import unicodedata

    composed = "intern kontroll försörjningsstöd"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    nfc, nfd = (client.get("/api/search", query_string={"q": q}).get_json() for q in (composed, decomposed))
    assert nfd["searched"] == composed and nfd["corrections"] == [] and nfd["query"] == decomposed  # echoed as typed
    assert [h["chunk_id"] for h in nfd["hits"]] == [h["chunk_id"] for h in nfc["hits"]]


def test_api_and_cli_agree(client, corpus_index):
    from kb.search import Searcher

    api_hits = client.get("/api/search?q=budgetuppf%C3%B6ljning&k=5").get_json()["hits"]
    lib_hits = [h.to_dict() for h in Searcher(corpus_index).search("budgetuppföljning", k=5).hits]
    assert [h["chunk_id"] for h in api_hits] == [h["chunk_id"] for h in lib_hits]


@pytest.mark.parametrize("query_string, status, message", [
    ({"q": ""}, 400, "Skriv något"),
    ({}, 400, "Skriv något"),
    ({"q": "   "}, 400, "Skriv något"),
    ({"q": "x" * 1001}, 400, "för lång"),
    ({"q": "kontroll", "k": "0"}, 400, "mellan 1 och 100"),
    ({"q": "kontroll", "k": "101"}, 400, "mellan 1 och 100"),
    ({"q": "kontroll", "k": "tio"}, 400, "heltal"),
    ({"q": "kontroll", "year_from": "x"}, 400, "heltal"),
    ({"q": "kontroll", "bogus": "1"}, 400, "Okänd parameter"),
    ({"q": "kontroll", "spell": "kanske"}, 400, "spell kan bara vara 0 eller 1"),
    ({"q": "kontroll", "year_from": "2024", "year_to": "2015"}, 400, "byt plats"),
])
def test_bad_search_input_is_a_json_error(client, query_string, status, message):
    response = client.get("/api/search", query_string=query_string)
    assert response.status_code == status
    body = response.get_json()
    assert message in body["error"] and body["status"] == status


@pytest.mark.parametrize("query", ['"', "*", "...!!!", "-", "😀"])
def test_a_query_without_words_is_a_400_on_the_api_and_the_page(client, query):
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 400
    assert response.get_json()["error"] == "Frågan innehåller inga sökbara ord."
    page = client.get("/", query_string={"q": query})
    assert page.status_code == 400 and "Frågan innehåller inga sökbara ord." in page.get_data(as_text=True)
    assert 'class="hit"' not in page.get_data(as_text=True)


@pytest.mark.parametrize("query", ["LSS", "2019", "K2"])
def test_an_acronym_a_year_or_a_code_is_still_searched(client, query):
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 200 and response.get_json()["hits"]


def test_unknown_report_is_a_json_404(client):
    response = client.get("/api/reports/finns-inte")
    assert response.status_code == 404
    assert "finns inte" in response.get_json()["error"]


@pytest.mark.parametrize("url", ["/api/reports?foo=1", "/api/reports/ale-2015-arbetsmarknadsenhet-forsorjningsstod?x=1",
                                 "/api/compare?q=samverkan&kommun=Ale", "/api/register?sort=kommun"])
def test_every_api_route_names_a_parameter_it_does_not_take(client, url):
    """A typo or a parameter another route takes must not pass as if it filtered something."""
    response = client.get(url)
    assert response.status_code == 400 and "Okänd parameter" in response.get_json()["error"]


def test_a_reversed_year_range_is_said_on_the_page(client):
    page = client.get("/", query_string={"q": "samverkan", "year_from": "2024", "year_to": "2015"})
    assert page.status_code == 400 and "byt plats på dem" in page.get_data(as_text=True)


def test_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.is_json


def test_healthz_reports_the_index(client, corpus_index):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["reports"] == 5 and body["chunks"] == corpus_index.catalog.counts()[1]
    assert body["vectors"] == body["chunks"]
    assert body["model"].startswith("multilingual-e5-small")
    assert body["lexical_matrix"] is True  # the ingest left a current BM25 matrix
