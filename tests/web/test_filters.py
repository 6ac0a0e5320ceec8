"""Filters and facets through the API and the search page, grouping by report, similar passages."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow

QUERY = "samverkan med Arbetsförmedlingen"


def _search(client, **params):
    response = client.get("/api/search", query_string={"q": QUERY, "k": 30, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("name, value, check", [
    ("kommun", "Mellerud", lambda hit, meta: hit["kommun"] == "Mellerud"),
    ("firm", "KPMG", lambda hit, meta: hit["firm"] == "KPMG"),
    ("section_type", "bedomning", lambda hit, meta: hit["section_type"] == "bedomning"),
    ("doc_type", "granskningsrapport", lambda hit, meta: hit["doc_type"] == "granskningsrapport"),
    ("audited_body", "Socialnämnden", lambda hit, meta: meta[hit["report_id"]]["audited_body"] == "Socialnämnden"),
    ("year_from", "2016", lambda hit, meta: hit["year"] >= 2016),
    ("year_to", "2015", lambda hit, meta: hit["year"] <= 2015),
])
def test_every_hit_honours_each_filter(client, name, value, check):
    meta = {r["id"]: r for r in client.get("/api/reports").get_json()["reports"]}
    body = _search(client, **{name: value})
    assert body["hits"], f"no hits with {name}={value}"
    assert all(check(hit, meta) for hit in body["hits"]), name
    unfiltered = _search(client)
    assert not all(check(hit, meta) for hit in unfiltered["hits"]), f"{name} filter proves nothing"


def test_list_filters_repeat_and_combine(client):
    body = _search(client, kommun=["Mellerud", "Ale"], section_type=["bedomning", "rekommendation"])
    assert body["hits"]
    assert {h["kommun"] for h in body["hits"]} <= {"Mellerud", "Ale"}
    assert {h["section_type"] for h in body["hits"]} <= {"bedomning", "rekommendation"}
    # each facet counts as if only its own filter were lifted: other kommuner show what they would give,
    # while the doc_type facet still honours the kommun filter (Strömsund's protokollsutdrag is out)
    assert {"Mellerud", "Ale"} <= set(body["facets"]["kommun"])
    assert "protokollsutdrag" not in body["facets"]["doc_type"]


def test_facets_count_values_for_the_query(client):
    body = _search(client)
    facets = body["facets"]
    assert set(facets) >= {"kommun", "year", "firm", "section_type", "doc_type"}
    assert len(facets["kommun"]) >= 3 and all(n > 0 for n in facets["kommun"].values())
    assert sum(facets["kommun"].values()) >= len(body["hits"])


def test_group_by_report_keeps_each_reports_passages_together(client):
    body = _search(client, group="report", k=20)
    groups = body["groups"]
    assert [g["report_id"] for g in groups] == list(dict.fromkeys(h["report_id"] for h in body["hits"]))
    assert sum(len(g["chunk_ids"]) for g in groups) == len(body["hits"])


@pytest.mark.parametrize("params, message", [
    ({"group": "kommun"}, "group"),
    ({"year_to": "tjugo"}, "heltal"),
    ({"year_from": "1800"}, "1900"),
    ({"kommun": ["x" * 201]}, "för långa"),
])
def test_bad_filter_values_are_400(client, params, message):
    response = client.get("/api/search", query_string={"q": QUERY, **params})
    assert response.status_code == 400 and message in response.get_json()["error"]


def test_search_page_has_a_filter_form_with_counts_and_swedish_labels(client):
    page = client.get("/", query_string={"q": QUERY, "kommun": "Mellerud"}).get_data(as_text=True)
    assert 'name="kommun" value="Mellerud" form="sok" checked' in page
    for label in ("Sammanfattning", "Inledning/bakgrund", "Revisionsfråga", "Iakttagelse", "Bedömning",
                  "Rekommendation", "Svar", "Övrigt"):
        assert f">{label}" in page
    assert '<span class="count">(' in page
    assert 'for="year_from"' in page and 'for="year_to"' in page
    assert page.count('class="hit"') >= 1 and "Ale:" not in page.split('class="results"')[1]
    bodies = page.split("Granskad nämnd/styrelse")[1].split("</fieldset>")[0]
    assert re.search(r'>Socialnämnden <span class="count">\([1-9]\d*\)</span>', bodies)


def test_an_audited_body_in_two_cases_is_one_filter_option_with_the_facet_count(fake_index, corpus_copy, shared):
    """Strömsund's body is "Kommunstyrelsen" (reports.toml), Olofström's "kommunstyrelsen" (read from its text):
    one checkbox, counted as the API counts it, checked however the URL cased it; sorted as one on /reports."""
    from tests.conftest import ingest_folder
    from web import create_app

    ingest_folder(fake_index, corpus_copy, shared / "data/real/pdfs/Olofstrom_Handlingsplan_for_klimat_och_energi.pdf")
    client = create_app({"TESTING": True}, config=fake_index.config, index=fake_index).test_client()
    query = {"q": "kommunstyrelsen samverkan energi", "k": 50}
    facet = client.get("/api/search", query_string=query).get_json()["facets"]["audited_body"]
    for typed in (None, "kommunstyrelsen", "KOMMUNSTYRELSEN"):
        page = client.get("/", query_string={**query, "audited_body": typed or []}).get_data(as_text=True)
        bodies = page.split("Granskad nämnd/styrelse")[1].split("</fieldset>")[0]
        labels = re.findall(r'<label for="f-audited_body-\d+">([^<]*) <span class="count">\((\d+)\)', bodies)
        assert [body.casefold() for body, _ in labels].count("kommunstyrelsen") == 1, labels
        assert labels == sorted(labels, key=lambda label: label[0].casefold())
        assert dict(labels)["Kommunstyrelsen"] == str(facet["Kommunstyrelsen"]) != "0"
        checked = re.findall(r'value="([^"]*)" form="sok" checked', bodies)
        assert checked == ([] if typed is None else ["Kommunstyrelsen"])
    table = client.get("/reports", query_string={"sort": "audited_body"}).get_data(as_text=True)
    order = [body.casefold() for body in re.findall(r"</td>\s*<td>([^<]*)</td><td class=\"num\">", table)]
    assert order == sorted(order) and order.index("socialnämnden") > order.index("kommunstyrelsen") + 1


def test_search_page_groups_by_report(client):
    page = client.get("/", query_string={"q": QUERY, "group": "report", "k": 20}).get_data(as_text=True)
    assert page.count('class="report-group"') >= 2


def test_similar_passages_page_and_api(client, corpus_index):
    source = corpus_index.catalog.chunks_of("mellerud-2024-arbetsmarknadsverksamheten")[5]
    page = client.get(f"/similar/{source.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Liknande avsnitt" in html and html.count('class="hit"') == 10
    body = client.get(f"/api/similar/{source.id}", query_string={"k": 5, "kommun": "Ale"}).get_json()
    assert len(body["hits"]) == 5
    assert all(h["chunk_id"] != source.id and h["kommun"] == "Ale" for h in body["hits"])


def test_similar_passages_come_from_other_reports_unless_asked(client, corpus_index):
    """A report's own passages are the closest to one of its passages: all ten of Mellerud's, asked for."""
    source = corpus_index.catalog.chunks_of("mellerud-2024-arbetsmarknadsverksamheten")[5]
    others = client.get(f"/api/similar/{source.id}").get_json()["hits"]
    assert len(others) == 10 and all(h["report_id"] != source.report_id for h in others)
    html = client.get(f"/similar/{source.id}").get_data(as_text=True)
    assert "10 liknande avsnitt ur andra rapporter." in html and ">Samma rapport<" not in html
    assert f'href="/similar/{source.id}?same_report=1">Ta med avsnitt ur samma rapport</a>' in html
    every = client.get(f"/api/similar/{source.id}", query_string={"same_report": "1"}).get_json()["hits"]
    own = sum(h["report_id"] == source.report_id for h in every)
    assert len(every) == 10 and own > 0 and all(h["chunk_id"] != source.id for h in every)
    html = client.get(f"/similar/{source.id}", query_string={"same_report": "1"}).get_data(as_text=True)
    assert f"10 liknande avsnitt i arkivet, {own} av dem ur samma rapport." in html
    assert html.count('<span class="tag">Samma rapport</span>') == own


def test_every_result_links_to_similar_passages(client):
    page = client.get("/", query_string={"q": QUERY}).get_data(as_text=True)
    assert page.count(">Liknande avsnitt<") == page.count('class="hit"')


@pytest.mark.parametrize("url, status", [
    ("/similar/finns-inte", 404),
    ("/similar/abc?k=0", 400),
    ("/api/similar/finns-inte", 404),
    ("/api/similar/abc?k=x", 400),
    ("/api/similar/abc?bogus=1", 400),
    ("/api/similar/abc?q=samverkan", 400),  # similar passages are found from a passage, not from words
    ("/api/similar/abc?same_report=kanske", 400),
    ("/similar/abc?same_report=kanske", 400),
])
def test_similar_bad_input(client, url, status):
    assert client.get(url).status_code == status
