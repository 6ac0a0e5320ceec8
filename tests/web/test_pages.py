"""The Swedish pages: search results with citations, reports with anchors, clear errors."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow


def test_front_page_has_a_labelled_search_form(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert '<label for="q">' in page and 'name="q"' in page


def test_results_show_highlighted_excerpts_and_citations(client):
    page = client.get("/?q=samverkan+med+Arbetsf%C3%B6rmedlingen").get_data(as_text=True)
    assert page.count('class="hit"') == 10
    assert "<mark>" in page
    marked = re.findall(r"<mark>(.*?)</mark>", page)
    assert any(m.lower().startswith(("samverk", "arbetsförmedl")) for m in marked)
    assert "Öppna stycket i rapporten" in page
    assert "?passage=" in page


def test_excerpts_mark_what_the_search_matched_not_just_the_typed_letters(client):
    page = client.get("/?q=AF+samverkan").get_data(as_text=True)
    marked = {m.casefold() for m in re.findall(r"<mark>(.*?)</mark>", page)}
    assert any(m.startswith("arbetsförmedling") for m in marked)  # the thesaurus: AF
    assert "af" in marked or "samverkan" in marked


def test_a_corrected_query_is_shown_with_a_link_to_search_as_typed(client):
    query = {"q": "rekomendationer forsorjningsstod", "kommun": "Ale"}
    page = client.get("/", query_string=query).get_data(as_text=True)
    assert "Stavningen rättades" in page
    assert "<del>rekomendationer</del> <ins>rekommendationer</ins>" in page
    assert "<q>rekommendationer försörjningsstöd</q>" in page  # what was searched
    link = re.search(r'<a href="([^"]*spell=0[^"]*)">Sök exakt på', page).group(1).replace("&amp;", "&")
    assert "kommun=Ale" in link and "q=rekomendationer" in link  # the filters kept
    exact = client.get(link).get_data(as_text=True)
    assert "Stavningen rättades" not in exact and "<q>rekomendationer forsorjningsstod</q>" in exact
    assert "Stavningen rättades" not in client.get("/?q=rekommendationer").get_data(as_text=True)


def test_a_named_kommun_is_said_to_come_first_with_a_link_to_it_alone(client):
    page = client.get("/", query_string={"q": "uppföljning i Mellerud och Ale", "k": 40}).get_data(as_text=True)
    assert "Sökningen nämner Ale och Mellerud: avsnitt därifrån visas först." in page
    links = dict(re.findall(r'<a href="([^"]*)">Visa bara (\w+)</a>', page))
    assert sorted(links.values()) == ["Ale", "Mellerud"]
    only = next(url for url, place in links.items() if place == "Ale").replace("&amp;", "&")
    assert "kommun=Ale" in only and "q=uppf" in only and "k=40" in only
    narrowed = client.get(only).get_data(as_text=True)
    assert "Visa bara" not in narrowed  # filtered already: nothing to offer
    assert set(re.findall(r'class="cite"><a href="[^"]*">([^:<]*):', narrowed)) == {"Ale"}
    assert "Sökningen nämner" not in client.get("/?q=uppf%C3%B6ljning").get_data(as_text=True)


@pytest.mark.parametrize("query, english", [
    ("internal control of procurement", True),
    ("cooperation between social services and the employment service", True),
    ("intern kontroll av försörjningsstöd", False),
    ("Hur följer socialnämnden upp arbetsmarknadsenhetens arbete?", False),
    ("SIP", False),
])
def test_an_english_query_is_told_the_reports_are_in_swedish(client, query, english):
    page = client.get("/", query_string={"q": query}).get_data(as_text=True)
    assert ("ser ut att vara på engelska" in page) is english


def test_report_page_has_every_chunk_as_an_anchor(client, corpus_index):
    report_id = "mellerud-2024-arbetsmarknadsverksamheten"
    page = client.get(f"/reports/{report_id}").get_data(as_text=True)
    for chunk in corpus_index.catalog.chunks_of(report_id):
        assert f'id="{chunk.id}"' in page


def test_a_permalink_to_a_passage_the_report_no_longer_has_says_so(client, corpus_index):
    """A passage's id is a hash of its text and place: a report read again with other text gives
    new ids, and a cited link must then say why it opens no passage instead of failing silently."""
    report_id = "mellerud-2024-arbetsmarknadsverksamheten"
    cited = corpus_index.catalog.chunks_of(report_id)[3].id
    page = client.get(f"/reports/{report_id}", query_string={"passage": cited}).get_data(as_text=True)
    assert "finns inte längre i rapporten" not in page and 'aria-label="Citerat stycke"' in page
    old = client.get(f"/reports/{report_id}", query_string={"passage": "0" * 24})
    assert old.status_code == 200
    assert "Stycket som länken pekar på finns inte längre i rapporten" in old.get_data(as_text=True)


@pytest.mark.parametrize("url, status", [
    ("/reports/finns-inte", 404),
    ("/reports/..%2F..%2Fetc%2Fpasswd", 404),
    ("/reports/finns-inte/original.pdf", 404),
    ("/?q=" + "x" * 1001, 400),
    ("/?q=kontroll&k=0", 400),
    ("/ingen-sida", 404),
])
def test_bad_requests_get_a_swedish_error_page(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert '<html lang="sv">' in page and 'role="alert"' in page


def test_pages_carry_security_headers(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_corpus_page_lists_every_report_sortable(client, corpus_index):
    page = client.get("/reports").get_data(as_text=True)
    for report in corpus_index.catalog.reports():
        assert f'href="/reports/{report.id}"' in page
    assert 'aria-sort="ascending"' in page and "?sort=-kommun" in page and "?sort=year" in page
    by_year = client.get("/reports?sort=-year").get_data(as_text=True)
    assert 'aria-sort="descending"' in by_year
    years = [int(y) for y in re.findall(r"<td>(\d{4})</td>", by_year)]
    assert years == sorted(years, reverse=True) and len(years) == 5
    assert "<th scope=\"col\">" in page and "Revisionsfrågor och rekommendationer" in page and "Iakttagna" not in page
    unsorted = client.get("/reports?sort=")
    assert unsorted.status_code == 200 and unsorted.get_data(as_text=True) == page  # the default order


def test_corpus_page_sorts_document_types_as_the_table_names_them(fake_index, corpus_copy, shared):
    """By the Swedish labels the column shows (Övrigt last), not by the codes ("ovrigt" before "protokoll…")."""
    from tests.conftest import ingest_folder
    from web import create_app

    plan = shared / "data/real/pdfs/Olofstrom_Handlingsplan_for_klimat_och_energi.pdf"
    assert not ingest_folder(fake_index, corpus_copy, plan).failed
    client = create_app({"TESTING": True}, config=fake_index.config, index=fake_index).test_client()
    page = client.get("/reports?sort=doc_type").get_data(as_text=True)
    shown = re.findall(r"</a></td><td>([^<]+)</td>", page)
    assert shown == ["Granskningsrapport"] * 4 + ["Protokollsutdrag", "Övrigt"]
    descending = client.get("/reports?sort=-doc_type").get_data(as_text=True)
    assert re.findall(r"</a></td><td>([^<]+)</td>", descending) == shown[::-1]


@pytest.mark.parametrize("url", ["/reports?sort=bogus", "/reports?sort=--year"])
def test_corpus_page_bad_sort_is_400(client, url):
    assert client.get(url).status_code == 400


def test_report_page_offers_similar_and_underlag_for_each_passage(client, corpus_index):
    report_id = "ale-2015-arbetsmarknadsenhet-forsorjningsstod"
    page = client.get(f"/reports/{report_id}").get_data(as_text=True)
    n = len(corpus_index.catalog.chunks_of(report_id))
    assert page.count(">Liknande avsnitt<") == n and page.count("Lägg i underlaget") == n


def test_navigation_is_a_labelled_landmark_with_the_current_page(client):
    page = client.get("/register").get_data(as_text=True)
    assert '<nav aria-label="Huvudmeny">' in page
    assert 'href="/register" aria-current="page"' in page


def test_a_document_that_is_no_audit_says_so_in_swedish(fake_index, shared):
    from tests.conftest import ingest_folder
    from web import create_app

    pdf = shared / "data/real/pdfs/Olofstrom_Handlingsplan_for_klimat_och_energi.pdf"
    assert not ingest_folder(fake_index, pdf).failed
    client = create_app({"TESTING": True}, config=fake_index.config, index=fake_index).test_client()
    page = client.get("/reports/olofstrom-handlingsplan-for-klimat-och-energi").get_data(as_text=True)
    assert "<h1>Handlingsplan för klimat och energi</h1>" in page  # the file name, spelled as the text
    assert "<dt>Dokumenttyp</dt><dd>Övrigt</dd>" in page
    assert "<dt>Nämnd/styrelse</dt><dd>kommunstyrelsen</dd>" in page and "<dt>Granskad</dt>" not in page
    assert "<dt>Revisionsbyrå</dt>" not in page  # no audit firm to be unknown


def test_a_pdf_passage_is_cited_and_marked_with_the_pages_that_hold_it(fake_index, shared):
    from tests.conftest import ingest_folder
    from web import create_app

    assert not ingest_folder(fake_index, shared / "data/real/pdfs/Simrishamn_Bokslut_2025.pdf").failed
    client = create_app({"TESTING": True}, config=fake_index.config, index=fake_index).test_client()
    hits = client.get("/api/search?q=rättstvister+övrig+information&k=5").get_json()["hits"]
    hit = next(h for h in hits if h["text"].startswith("Övrig information\n\nInga rättstvister"))
    assert (hit["page"], hit["page_end"]) == (18, 21)
    page = client.get("/?q=rättstvister+övrig+information").get_data(as_text=True)
    assert f'href="/reports/{hit["report_id"]}/original.pdf#page=18">PDF, sida 18–21</a>' in page
    report = client.get(f"/reports/{hit['report_id']}").get_data(as_text=True)
    mark = report.index('id="sida-18">Sida 18–21')
    assert mark < report.index(f'id="{hit["chunk_id"]}"') < report.index('class="pagemark"', mark + 1)
    # a passage whose first line is a chart label from page 25 is placed under page 26, where it is
    label = next(h for h in client.get("/api/search?q=nämndmål+kunskapsspridning&k=20").get_json()["hits"]
                 if h["text"].startswith("Nämndmål Bedömning\n\nVerka för kunsk"))
    assert (label["page"], label["page_end"]) == (26, 26)
    assert report.rindex('class="pagemark"', 0, report.index(f'id="{label["chunk_id"]}"')) \
        == report.index('class="pagemark" id="sida-26"')


def test_a_converted_markdown_report_shows_numbers_tables_and_no_dead_links(fake_index, shared):
    from tests.conftest import ingest_folder
    from web import create_app

    source = shared / "data/real/audits/kungsbacka_2023_informationssakerhet_i_praktiken.md"
    assert not ingest_folder(fake_index, source).failed
    client = create_app({"TESTING": True}, config=fake_index.config, index=fake_index).test_client()
    page = client.get("/reports/kungsbacka-2023-informationssakerhet-i-praktiken").get_data(as_text=True)
    # "2\. Iakttagelser och analys" keeps its 2, in the contents and over the chapter (a heading)
    assert page.count('<ol start="2">\n<li>Iakttagelser och analys') == 1
    assert "<h2>2. Iakttagelser och analys</h2>" in page and "<h4>1.4.1 Metod</h4>" in page
    # every table scrolls in a box of its own, named for a screen reader, so it never widens the page
    tables = page.count("<table>")
    assert tables > 2 and page.count('<div class="tablewrap" role="region" tabindex="0" aria-label="Tabell ') == tables
    assert f'aria-label="Tabell {tables} av {tables}"><table>' in page
    assert '<ol start="3">\n<li>Övergripande' in page and '<ol start="4">\n<li>Samlad' in page
    assert "<ol>\n<li>Iakttagelser och analys" not in page
    # "[Tabell 199-1](handlingar.tabeller/199-1.csv)": the file is not ours, so its name is text
    assert "Tabell 199-1" in page and "handlingar.tabeller" not in page
    assert "&lt;br" not in page
    # a table cut between two passages shows as a table in each: no "| --- |" or "| Hög risk |" text
    assert "<td>En mycket hög risk för, och i samband med, en phishing-attack<br>" in page  # 199-1's first row
    assert "<td>Hög risk</td>\n<td>En hög risk för" in page and "| ---" not in page  # and the rest
    assert "<td>Nej. Vår bedömning är det inte finns en<br>\nändamålsenlig krisberedskap" in page
    results = client.get("/?q=incidenthanteringsprocess").get_data(as_text=True)
    assert "en <mark>incidenthanteringsprocess</mark> som" in results and "&lt;br" not in results


def _controls(page: str, label: str) -> list[str]:
    """The names a screen reader gives each link or button with this visible label: label plus hidden text."""
    return [label + (hidden or "") for hidden in
            re.findall(rf'>{label}(?:<span class="vh">(.*?)</span>)?</(?:a|button)>', page)]


def test_report_section_titles_are_headings_without_skipped_levels(client):
    page = client.get("/reports/odeshog-2019-forsorjningsstod").get_data(as_text=True)
    headings = re.findall(r"<h([1-6])>([^<]*)</h\1>", page)
    assert headings[:3] == [("1", "Försörjningsstöd"), ("2", "Revisionsrapport: Försörjningsstöd – Ödeshögs kommun"),
                            ("2", "Rekommendationer")]
    assert ("2", "2. Iakttagelser och bedömningar") in headings
    at = headings.index(("3", "2.1. Mål och riktlinjer"))
    assert headings[at + 1] == ("4", "Bedömning")  # the bedömning under 2.1, a level below it
    assert "<p>1.1. Bakgrund</p>" not in page and "<h3>1.1. Bakgrund</h3>" in page
    levels = [int(level) for level, _ in headings]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))  # no level skipped


def test_repeated_controls_on_a_report_each_name_their_passage(client, corpus_index):
    report_id = "odeshog-2019-forsorjningsstod"
    page = client.get(f"/reports/{report_id}").get_data(as_text=True)
    n = len(corpus_index.catalog.chunks_of(report_id))
    for label in ("Liknande avsnitt", "Lägg i underlaget"):
        names = _controls(page, label)
        assert len(names) == len(set(names)) == n, label
    assert any(re.fullmatch(r"Liknande avsnitt, stycke \d+: 2\.1\. Mål och riktlinjer", name)
               for name in _controls(page, "Liknande avsnitt"))  # a passage under 2.1 names it


@pytest.mark.parametrize("path", ["/?q=samverkan+med+Arbetsf%C3%B6rmedlingen", "/?q=uppf%C3%B6ljning&group=report"])
def test_repeated_controls_on_search_results_each_name_their_hit(client, path):
    page = client.get(path).get_data(as_text=True)
    hits = page.count('class="hit"')
    for label in ("Öppna stycket i rapporten", "Liknande avsnitt", "Lägg i underlaget"):
        names = _controls(page, label)
        assert len(names) == len(set(names)) == hits, (label, names)
        assert names[0].startswith(f"{label}, träff 1: ")


def test_repeated_controls_on_similar_passages_each_name_their_hit(client, corpus_index):
    chunk = corpus_index.catalog.chunks_of("orsa-2015-resurscentrum")[4]
    page = client.get(f"/similar/{chunk.id}").get_data(as_text=True)
    for label in ("Öppna stycket i rapporten", "Liknande avsnitt", "Lägg i underlaget"):
        names = _controls(page, label)
        assert len(names) == len(set(names)) == 10, (label, names)


@pytest.mark.parametrize("path", ["/compare?q=uppföljning+av+försörjningsstöd", "/register?kommun=Ödeshög"])
def test_repeated_underlag_buttons_on_compare_and_register_each_name_their_passage(client, path):
    names = _controls(client.get(path).get_data(as_text=True), "Lägg i underlaget")
    assert len(names) >= 3 and len(names) == len(set(names)), names


def test_counts_agree_in_number_and_a_blank_query_is_no_title(client):
    assert "<p class=\"summary\" role=\"status\">1 träff för <q>samverkan</q>" in \
        client.get("/?q=samverkan&k=1").get_data(as_text=True)
    grouped = client.get("/?q=samverkan&group=report&k=3").get_data(as_text=True)
    counts = re.findall(r" · (\d+) (stycken?)</p>", grouped)
    assert counts and all(word == ("stycke" if n == "1" else "stycken") for n, word in counts)
    assert ("1", "stycke") in counts or sum(int(n) for n, _ in counts) == 3
    assert '<p class="summary" role="status">1 post</p>' in client.get("/register?q=SIP").get_data(as_text=True)
    assert "<title>Granskningsarkivet</title>" in client.get("/?q=+++").get_data(as_text=True)
    assert "<title>Jämför rapporter – Granskningsarkivet</title>" in client.get("/compare?q=+++").get_data(as_text=True)


def test_a_typed_kommun_is_checked_as_the_archive_spells_it(client):
    page = client.get("/?q=samverkan&kommun=odeshog").get_data(as_text=True)
    assert re.search(r'name="kommun" value="Ödeshög" form="sok" checked>\s*<label[^>]*>Ödeshög <span', page)
    assert 'value="odeshog"' not in page
    assert set(re.findall(r'class="cite"><a href="[^"]*">([^:<]*):', page)) == {"Ödeshög"}


@pytest.mark.parametrize("query", ["xyzzy qwerty", "中文", "och att det som är"])
def test_a_query_with_no_word_in_the_archive_says_its_hits_are_only_near_in_meaning(client, query):
    body = client.get("/api/search", query_string={"q": query}).get_json()
    assert body["words_found"] is False and body["hits"]  # the dense side still answers
    page = client.get("/", query_string={"q": query}).get_data(as_text=True)
    assert "Inget av orden i sökningen finns i arkivet. Träffarna nedan är bara avsnitt som liknar" in page


def test_a_query_with_a_word_in_the_archive_is_not_told_otherwise(client):
    assert client.get("/api/search?q=samverkan+xyzzy").get_json()["words_found"] is True
    assert "Inget av orden" not in client.get("/?q=samverkan+xyzzy").get_data(as_text=True)
    assert client.get("/api/search?q=lönestöd").get_json()["words_found"] is True  # in Mellerud's report
    orsa = client.get("/api/search?q=lönestöd&kommun=Orsa").get_json()
    assert orsa["words_found"] is False and orsa["hits"]  # not a word of Orsa's report
    page = client.get("/?q=lönestöd&kommun=Orsa").get_data(as_text=True)
    assert "Inget av orden i sökningen finns i arkivet med de valda filtren." in page


def test_a_citation_line_without_a_firm_starts_with_what_is_known(fake_index, shared):
    from tests.conftest import ingest_folder
    from web import create_app

    pdf = shared / "data/real/pdfs/Olofstrom_Handlingsplan_for_klimat_och_energi.pdf"
    assert not ingest_folder(fake_index, pdf).failed
    client = create_app({"TESTING": True}, config=fake_index.config, index=fake_index).test_client()
    chunk = fake_index.catalog.chunks_of("olofstrom-handlingsplan-for-klimat-och-energi")[3]
    pages = [client.get(path).get_data(as_text=True) for path in
             ("/?q=klimat", "/?q=klimat&group=report", f"/similar/{chunk.id}?same_report=1")]
    metas = [m for page in pages for m in re.findall(r'<p class="meta">(.*?)</p>', page, re.S)]
    assert len(metas) > 20 and not [m for m in metas if m.strip().startswith("·") or m.strip().endswith("·")]
    assert re.search(r'<p class="meta">\d{4} · \d+ stycken</p>', pages[1])  # the group's header: year, count
